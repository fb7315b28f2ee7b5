#!/usr/bin/env bash
# What one AdmissionReview costs the handler alone, then the webhook's latency at a constant request
# rate over HTTPS (open loop, HdrHistogram) next to a baseline measured in the same run: the same
# server answering the same bytes without a review.
# Usage: bench/webhook-latency.sh [rate=500] [seconds=60] [connections=8] [fixture=tekton-taskrun-pod.json]
# Env: WARMUP (seconds per target, default 10), SERVER_JAVA_OPTS (default: the operator image's
# JVM settings in the chart's 512 MiB container), DRIVER_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-500}
seconds=${2:-60}
connections=${3:-8}
fixture=operator/src/test/resources/admission/${4:-tekton-taskrun-pod.json}
work=bench/target/webhook
mkdir -p "$work/classes"

./mvnw -B -q -pl operator -am compile dependency:build-classpath -Dmdep.outputFile="$PWD/$work/classpath.txt"
cp="operator/target/classes:$(cat "$work/classpath.txt")"
javac -d "$work/classes" -cp "$cp" bench/webhook/*.java

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
# As in the operator's pod: the image's options (pom.xml, modproxy.image.java-options of the operator's
# profile: ZGC, MaxRAMPercentage=35) in the chart's 512 MiB limit.
server_opts=${SERVER_JAVA_OPTS:--XX:+UseZGC -XX:MaxRAM=512m -XX:MaxRAMPercentage=35}
echo "server JVM: $server_opts"
# shellcheck disable=SC2086
java $server_opts -cp "$work/classes:$cp" HandlerCost "$fixture" 2>/dev/null

rm -f "$work/port"
# shellcheck disable=SC2086
java $server_opts -cp "$work/classes:$cp" WebhookBenchServer "$work" "$fixture" > "$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.2; done
[ -s "$work/port" ] || { echo "bench server did not start:"; cat "$work/server.log"; exit 1; }

url="https://localhost:$(cat "$work/port")"
# shellcheck disable=SC2086
java ${DRIVER_JAVA_OPTS:-} -cp "$work/classes:$cp" LatencyDriver "$work/ca.crt" "$fixture" \
  "$rate" "${WARMUP:-10}" "$seconds" "$connections" "baseline=$url/baseline" "webhook=$url/mutate-pods"
kill "$server"; wait "$server" 2>/dev/null || true
grep 'handler time' "$work/server.log" || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
