#!/usr/bin/env bash
# Webhook latency at a constant request rate over HTTPS (open loop, HdrHistogram).
# Usage: bench/webhook-latency.sh [rate=500] [seconds=30] [connections=8] [fixture=tekton-taskrun-pod.json]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-500}
seconds=${2:-30}
connections=${3:-8}
fixture=${4:-tekton-taskrun-pod.json}
work=bench/target/webhook
mkdir -p "$work/classes"

./mvnw -B -q -pl operator compile dependency:build-classpath -Dmdep.outputFile="$PWD/$work/classpath.txt"
cp="operator/target/classes:$(cat "$work/classpath.txt")"
javac -d "$work/classes" -cp "$cp" bench/webhook/WebhookBenchServer.java bench/webhook/LatencyDriver.java

rm -f "$work/port"
java ${SERVER_JAVA_OPTS:-} -cp "$work/classes:$cp" WebhookBenchServer "$work" > "$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.2; done
[ -s "$work/port" ] || { echo "bench server did not start:"; cat "$work/server.log"; exit 1; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
java -cp "$work/classes:$cp" LatencyDriver "https://localhost:$(cat "$work/port")/mutate-pods" \
  "$work/ca.crt" "operator/src/test/resources/admission/$fixture" "$rate" 10 "$seconds" "$connections"
kill "$server"; wait "$server" 2>/dev/null || true
grep 'handler time' "$work/server.log" || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
