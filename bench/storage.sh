#!/usr/bin/env bash
# Hit latency and throughput of the proxy on local disk vs on S3 (s3proxy), in the same run,
# and the cost of eviction on hits while cold fetches keep the disk cache at its cap.
# Usage: bench/storage.sh [seconds-per-run]   (needs: built proxy jar, wrk, python3, curl)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
WORK="$(mktemp -d /tmp/modproxy-bench.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 120); do curl -sf -o /dev/null "$1" && return 0; sleep 0.5; done; echo "no answer from $1" >&2; exit 1; }

JAR=proxy/target/quarkus-app/quarkus-run.jar
[ -f "$JAR" ] || ./mvnw -B -q -pl proxy -am package -DskipTests
./mvnw -B -q -o -pl proxy -am test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt" >/dev/null

# Upstream: a static GOPROXY tree with one hot module and 60 cold ones of 1 MiB each.
python3 - "$WORK/upstream" <<'PY'
import io, os, sys, zipfile
root = sys.argv[1]
def module(path, version, size):
    d = os.path.join(root, path, "@v"); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, version + ".info"), "w").write('{"Version":"%s","Time":"2024-01-01T00:00:00Z"}' % version)
    open(os.path.join(d, version + ".mod"), "w").write("module %s\n\ngo 1.19\n" % path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("%s@%s/go.mod" % (path, version), "module %s\n\ngo 1.19\n" % path)
        z.writestr("%s@%s/data.bin" % (path, version), os.urandom(size))
    open(os.path.join(d, version + ".zip"), "wb").write(buf.getvalue())
module("example.com/hot", "v1.0.0", 1 << 20)
for i in range(60):
    module("example.com/cold%d" % i, "v1.0.0", 1 << 20)
PY
UP_PORT=$(free_port)
(cd "$WORK/upstream" && exec python3 -m http.server "$UP_PORT" --bind 127.0.0.1 >/dev/null 2>&1) & PIDS+=($!)
wait_http "http://127.0.0.1:$UP_PORT/example.com/hot/@v/v1.0.0.mod"

# S3: s3proxy with in-memory blobs, anonymous access.
S3_PORT=$(free_port)
cat > "$WORK/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=none
jclouds.provider=transient
jclouds.identity=bench
jclouds.credential=bench
CONF
java -cp "$(cat "$WORK/cp.txt")" org.gaul.s3proxy.Main --properties "$WORK/s3proxy.conf" >"$WORK/s3proxy.log" 2>&1 & PIDS+=($!)
for _ in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break; sleep 0.5; done
curl -sf -X PUT "http://127.0.0.1:$S3_PORT/bench" >/dev/null

declare -A MANAGEMENT # name -> management port (/q/health, /admin/*)
start_proxy() { # name port env...
  local name=$1 port=$2 management; shift 2
  management=$(free_port); MANAGEMENT[$name]=$management
  env "$@" QUARKUS_HTTP_PORT="$port" QUARKUS_MANAGEMENT_PORT="$management" MODPROXY_UPSTREAM="http://127.0.0.1:$UP_PORT" MODPROXY_STORAGE_DIR="$WORK/$name" \
    java -Xmx512m -jar "$JAR" >"$WORK/$name.log" 2>&1 & PIDS+=($!)
  wait_http "http://127.0.0.1:$management/q/health/ready"
}
DISK_PORT=$(free_port); S3P_PORT=$(free_port); EVICT_PORT=$(free_port)
start_proxy disk "$DISK_PORT"
start_proxy s3 "$S3P_PORT" MODPROXY_STORAGE_TYPE=s3 MODPROXY_S3_ENDPOINT="http://127.0.0.1:$S3_PORT" MODPROXY_S3_BUCKET=bench \
  AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
start_proxy evict "$EVICT_PORT" MODPROXY_MAX_SIZE=12Mi

HOT=/example.com/hot/@v/v1.0.0
measure() { # label url
  curl -sf -o /dev/null "$2"  # fill the cache first: we measure hits
  wrk -t2 -c8 -d"${DURATION}s" --latency "$2" > "$WORK/wrk.txt"
  local rps p50 p99 mbs
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
  mbs=$(awk '/Transfer\/sec/ {print $2}' "$WORK/wrk.txt")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk.txt")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.txt")
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$rps" "$mbs" "$p50" "$p99"
}

echo "| run | requests/s | transfer/s | p50 | p99 |"
echo "| --- | --- | --- | --- | --- |"
measure "disk .mod hit" "http://127.0.0.1:$DISK_PORT$HOT.mod"
measure "s3 .mod hit" "http://127.0.0.1:$S3P_PORT$HOT.mod"
measure "disk 1 MiB .zip hit" "http://127.0.0.1:$DISK_PORT$HOT.zip"
measure "s3 1 MiB .zip hit" "http://127.0.0.1:$S3P_PORT$HOT.zip"
measure "capped disk .zip hit, no eviction" "http://127.0.0.1:$EVICT_PORT$HOT.zip"
# Cold fetches of 60 x 1 MiB into a 12 MiB cap: the cache evicts all the time while wrk measures hits.
( for i in $(seq 0 59); do curl -sf -o /dev/null "http://127.0.0.1:$EVICT_PORT/example.com/cold$i/@v/v1.0.0.zip"; done ) & CHURN=$!
measure "capped disk .zip hit, evicting meanwhile" "http://127.0.0.1:$EVICT_PORT$HOT.zip"
wait $CHURN || true
curl -s "http://127.0.0.1:${MANAGEMENT[evict]}/admin/stats"; echo
