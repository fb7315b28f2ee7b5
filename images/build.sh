#!/usr/bin/env bash
# Builds both images as tarballs without a container engine or a registry, and proves the proxy's
# runs: a base image from a jlink'd runtime (images/base-image.py), Jib's buildTar on top of it
# (tar:// base), then the proxy image unpacked and started in a chroot until /q/health/ready is UP
# (images/run-image.py). Prints the digests to record. Needs root (unshare, chroot, mount) and a
# JDK with jlink. Not part of ./mvnw verify.
# Usage: images/build.sh [HTTP_PORT MANAGEMENT_PORT]   (defaults 18080 18090)
set -euo pipefail
cd "$(dirname "$0")/.."
HTTP_PORT="${1:-18080}"
MANAGEMENT_PORT="${2:-18090}"
WORK="${MODPROXY_IMAGE_WORK:-/tmp/modproxy-images}"
JDK="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
export SOURCE_DATE_EPOCH=0
mkdir -p "$WORK"

# The modules Quarkus, Vert.x, fabric8 and the AWS SDK use; no compiler, no debugger.
MODULES=java.base,java.compiler,java.datatransfer,java.desktop,java.instrument,java.logging,java.management,java.management.rmi,java.naming,java.net.http,java.prefs,java.rmi,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.transaction.xa,java.xml,java.xml.crypto,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.unsupported,jdk.management,jdk.naming.dns,jdk.zipfs,jdk.localedata,jdk.charsets,jdk.net,jdk.httpserver
rm -rf "$WORK/jre"
"$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files --compress=2 \
  --output "$WORK/jre"
python3 images/base-image.py "$WORK/jre" "$WORK/base.tar"
sha256sum "$WORK/base.tar"

./mvnw -B -q -Pimage -pl proxy,operator -am verify -DskipTests -Dmodproxy.image.base="tar://$WORK/base.tar"
for module in proxy operator; do
  echo "$module: $(sha256sum "$module/target/jib-image.tar" | cut -d' ' -f1)  $module/target/jib-image.tar"
  cat "$module/target/jib-image.digest" 2>/dev/null && echo " (Jib: image digest)"
  cat "$module/target/jib-image.id" 2>/dev/null && echo " (Jib: image id)"
done

python3 images/run-image.py proxy/target/jib-image.tar "$HTTP_PORT" "$MANAGEMENT_PORT"
