#!/usr/bin/env bash
# Start-up time of the proxy over a large local cache: how long until /q/health/ready answers UP
# and how long until the cache's size accounting has finished (the "accounted" line of the log).
# Usage: [DROP_CACHES=1] bench/startup.sh FILES [RUNS] [JAR]   (needs: python3, curl; the cache tree is generated
# once under /tmp/modproxy-startup-FILES and kept for further runs)
set -euo pipefail
cd "$(dirname "$0")/.."
FILES="${1:?number of cached files, e.g. 100000}"
RUNS="${2:-3}"
JAR="${3:-proxy/target/quarkus-app/quarkus-run.jar}"
TREE="/tmp/modproxy-startup-$FILES"
PID=""
cleanup() { [ -z "$PID" ] || kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT

# shellcheck source=bench/lib.sh
. bench/lib.sh

# A GOPROXY tree of FILES small files: 1000 modules, each with .info/.mod of FILES/2000 versions.
if [ ! -f "$TREE/.complete" ]; then
  rm -rf "$TREE"
  python3 - "$TREE" "$FILES" <<'EOF'
import os, sys
root, files = sys.argv[1], int(sys.argv[2])
modules = 1000
versions = max(1, files // (2 * modules))
for m in range(modules):
    d = os.path.join(root, "example.com", "m%04d" % m, "@v")
    os.makedirs(d, exist_ok=True)
    for v in range(versions):
        with open(os.path.join(d, "v1.0.%d.info" % v), "w") as f:
            f.write('{"Version":"v1.0.%d","Time":"2024-01-01T00:00:00Z"}\n' % v)
        with open(os.path.join(d, "v1.0.%d.mod" % v), "w") as f:
            f.write("module example.com/m%04d\n\ngo 1.21\n" % m)
open(os.path.join(root, ".complete"), "w").close()
EOF
fi
echo "cache: $TREE, $(find "$TREE" -type f -name '*.*' ! -name .complete | wc -l) files"

for run in $(seq 1 "$RUNS"); do
  # DROP_CACHES=1 (root only; it empties the page cache of the whole machine): the walk reads the
  # disk as after a node restart, not the page cache
  if [ "${DROP_CACHES:-0}" = 1 ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
  port=$(free_port); management=$(free_port); log=$(mktemp /tmp/modproxy-startup-log.XXXXXX)
  start=$(date +%s%N)
  MODPROXY_STORAGE_DIR="$TREE" MODPROXY_SUMDB=off MODPROXY_UPSTREAM=off \
    QUARKUS_HTTP_PORT=$port QUARKUS_MANAGEMENT_PORT=$management \
    java -Xmx512m -jar "$JAR" >"$log" 2>&1 & PID=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$management/q/health/ready"; do
    kill -0 "$PID" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.05
  done
  ready=$(( ($(date +%s%N) - start) / 1000000 ))
  # a proxy that counts in the background logs "accounted ..." when done; an older one counted before listening
  accounted="before listening"
  for _ in $(seq 1 1200); do
    if grep -q "accounted" "$log"; then accounted="after $(( ($(date +%s%N) - start) / 1000000 )) ms"; break; fi
    grep -q "accounting in the background" "$log" || break
    sleep 0.05
  done
  echo "run $run: ready after ${ready} ms; size accounting done $accounted"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  rm -f "$log"
done
