#!/usr/bin/env bash
# The memory cache full and churning: ZIPS (1300) distinct module zips of about 56 KB each (73 MB, more than the
# 32 MiB memory cache holds) fetched cold through a fresh modproxy FILL_AT_ONCE (8) at a time, then every one of them
# asked again in turn WALKS (3) times, WALK_AT_ONCE (16) at a time: each hit of a zip the cache has just dropped reads
# it from disk into the cache again. Prints the proxy's peak RSS (VmHWM) after the fill and after the walks, and where
# its memory is (bench/proxy-memory.py; with NMT=1 the JVM's own account too). The checksum database is off; the
# upstream is bench/peers/slowmirror with no delay.
# Env: PROXY_JAVA_OPTS (default -Xmx128m, the README's run command), JAR (default: build the proxy's jar), NMT,
#      ZIPS, FILL_AT_ONCE, WALKS, WALK_AT_ONCE. modproxy inherits this script's environment: MALLOC_ARENA_MAX=2
#      bench/churn.sh runs it as the images do.
# Everything listens on 127.0.0.1 only. Not part of ./mvnw verify; run it under the heavy lock:
#   flock /tmp/modproxy-heavy.lock bench/churn.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PROXY_JAVA_OPTS=${PROXY_JAVA_OPTS--Xmx128m}
[ "${NMT:-0}" = 1 ] && PROXY_JAVA_OPTS="$PROXY_JAVA_OPTS -XX:NativeMemoryTracking=summary"
ZIPS=${ZIPS:-1300}
FILL_AT_ONCE=${FILL_AT_ONCE:-8}
WALKS=${WALKS:-3}
WALK_AT_ONCE=${WALK_AT_ONCE:-16}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_work modproxy-churn

# module example.com/churn/mNNNN v1.0.0: a go.mod and 56 KB of incompressible bytes, stored
python3 - "$work/tree" "$ZIPS" <<'PY'
import os, sys, zipfile
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    module = f"example.com/churn/m{i:04d}"
    d = os.path.join(root, module, "@v")
    os.makedirs(d)
    gomod = f"module {module}\n\ngo 1.21\n"
    with open(os.path.join(d, "list"), "w") as f:
        f.write("v1.0.0\n")
    with open(os.path.join(d, "v1.0.0.info"), "w") as f:
        f.write('{"Version":"v1.0.0","Time":"2026-01-01T00:00:00Z"}')
    with open(os.path.join(d, "v1.0.0.mod"), "w") as f:
        f.write(gomod)
    with zipfile.ZipFile(os.path.join(d, "v1.0.0.zip"), "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{module}@v1.0.0/go.mod", gomod)
        z.writestr(f"{module}@v1.0.0/data.bin", os.urandom(56 * 1024))
PY
if [ -z "${JAR:-}" ]; then
  ./mvnw -B -q -o -pl proxy -am package -DskipTests
  JAR=proxy/target/quarkus-app/quarkus-run.jar
fi
(cd bench/peers/slowmirror && GOTOOLCHAIN=local go build -o "$work/slowmirror" .)
mirror_port=$(free_port)
"$work/slowmirror" -addr "127.0.0.1:$mirror_port" -root "$work/tree" -delay 0s -rate 0 >"$work/mirror.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$mirror_port/_counts" "slow mirror"

port=$(free_port); management=$(free_port)
# shellcheck disable=SC2086
MODPROXY_UPSTREAM="http://127.0.0.1:$mirror_port" MODPROXY_STORAGE_DIR="$work/cache" MODPROXY_SUMDB=off \
  QUARKUS_HTTP_PORT=$port QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT=$management \
  java $PROXY_JAVA_OPTS -jar "$JAR" >"$work/proxy.log" 2>&1 &
proxy_pid=$!
pids+=($proxy_pid)
wait_for "http://127.0.0.1:$management/q/health/ready" modproxy

for i in $(seq 0 $((ZIPS - 1))); do printf 'http://127.0.0.1:%s/example.com/churn/m%04d/@v/v1.0.0.zip\n' "$port" "$i"; done \
  >"$work/urls"
# every answer must be the upstream's zip: curl fails the pipeline otherwise
fetch_all() { awk '{print "-o /dev/null " $0}' "$work/urls" | xargs -P "$1" -n 48 curl -fsS; }
hwm() { awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$proxy_pid/status"; }

echo "== $ZIPS zips of 56 KB, load average $(cut -d' ' -f1-3 /proc/loadavg); proxy JVM options: ${PROXY_JAVA_OPTS:-none}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-unset}"
start=$(date +%s.%N)
fetch_all "$FILL_AT_ONCE"
fill=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
echo "   cold fill: ${fill}s, peak RSS $(hwm) MB"
python3 bench/proxy-memory.py "$proxy_pid" "after the cold fill"
start=$(date +%s.%N)
for _ in $(seq 1 "$WALKS"); do fetch_all "$WALK_AT_ONCE"; done
walk=$(awk -v s="$start" -v e="$(date +%s.%N)" -v n=$((ZIPS * WALKS)) 'BEGIN {printf "%.2f s, %.0f zips a second", e - s, n / (e - s)}')
echo "   $WALKS walks: $walk, peak RSS $(hwm) MB"
python3 bench/proxy-memory.py "$proxy_pid" "after the walks"
echo "   upstream requests: $(curl -fsS "http://127.0.0.1:$mirror_port/_counts" | awk '{n += $1} END {print n + 0}'); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
