#!/usr/bin/env bash
# The build against the real things: a real project's modules from the real proxy.golang.org, verified against the
# real checksum log, over this machine's own network. Timed three ways in each run:
#   direct  GOPROXY = the upstream itself (what a build does without modproxy)
#   cold    GOPROXY = a modproxy started for this run with an empty cache, in its default configuration: that
#           upstream, every .mod and zip verified against sum.golang.org (through the upstream's /sumdb/ when
#           sum.golang.org itself is not reachable) before it is stored, the database required
#   warm    GOPROXY = the same modproxy again, every answer now cached (its first warm build)
# each with a fresh module cache and build cache, GOFLAGS=-mod=mod, the go command's default GOSUMDB (with a
# complete go.sum it looks nothing up). The modes take turns within each run. Unlike bench/build.sh this reaches
# the network: the figures are this machine's path to the upstream on that day, not a controlled delay.
#
# Usage: bench/live.sh [runs=3]
# Env: PROJECT (a directory holding go.mod and go.sum, and the code GO_COMMAND needs; default e2e/capture/graph:
#      139 modules, Kubernetes, controller-runtime, OpenTelemetry, a 69 MB zip), GO_COMMAND (default
#      "mod download all"; "list -deps ./..." downloads what go build does), UPSTREAM (default
#      https://proxy.golang.org), JAR, PROXY_JAVA_OPTS (default -Xmx128m, as the README runs it), CLIENT_DIR (as in
#      bench/build.sh: the clients' caches, tmpfs by default).
# Not part of ./mvnw verify. Run it under the heavy lock: flock /tmp/modproxy-heavy.lock bench/live.sh 3
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
PROJECT=${PROJECT:-e2e/capture/graph}
GO_COMMAND=${GO_COMMAND:-mod download all}
UPSTREAM=${UPSTREAM:-https://proxy.golang.org}
PROXY_JAVA_OPTS=${PROXY_JAVA_OPTS--Xmx128m}
for tool in java go curl awk; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[ -f "$PROJECT/go.mod" ] && [ -f "$PROJECT/go.sum" ] || { echo "$PROJECT holds no go.mod and go.sum" >&2; exit 2; }
curl -fsS -o /dev/null --max-time 20 "$UPSTREAM/golang.org/x/mod/@v/list" \
  || { echo "the upstream $UPSTREAM does not answer from this machine" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_work modproxy-live
if [ -z "${CLIENT_DIR:-}" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
  CLIENT_DIR=$(mktemp -d /dev/shm/modproxy-live-clients.XXXXXX)
  trap 'bench_cleanup; chmod -R u+w "$CLIENT_DIR" 2>/dev/null; rm -rf "$CLIENT_DIR"' EXIT
fi
CLIENT_DIR=${CLIENT_DIR:-$work}
# a copy: the go command adds to go.sum what it downloads beyond the build (go mod download all)
project="$work/project"
cp -r "$PROJECT" "$project"

if [ -z "${JAR:-}" ]; then
  echo "== building modproxy's jar"
  ./mvnw -B -q -o -pl proxy -am package -DskipTests
  JAR=proxy/target/quarkus-app/quarkus-run.jar
fi

# $GO_COMMAND through $1 with a fresh module and build cache and nothing of this machine's Go settings;
# prints the seconds it took.
download_all() {
  local home start end
  home=$(mktemp -d "$CLIENT_DIR/client.XXXXXX")
  cp "$PROJECT/go.sum" "$project/go.sum" # each download starts from the project's own go.sum
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  (cd "$project" && env -i PATH="$PATH" HOME="$home" GOENV=off GOTOOLCHAIN=local GOFLAGS="-mod=mod -modcacherw" \
    GOMODCACHE="$home/mod" GOCACHE="$home/cache" GOPROXY="$1" timeout 900 go $GO_COMMAND) >"$home.log" 2>&1 \
    || { echo "go $GO_COMMAND through $1 failed:" >&2; tail -20 "$home.log" >&2; return 1; }
  end=$(date +%s.%N)
  chmod -R u+w "$home"; rm -rf "$home"
  awk -v s="$start" -v e="$end" 'BEGIN {printf "%.2f", e - s}'
}

# a modproxy with an empty cache and the defaults, but for the upstream, its cache directory and its ports
start_proxy() {
  local port management dir
  port=$(free_port); management=$(free_port)
  dir=$(mktemp -d "$work/proxy.XXXXXX")
  # shellcheck disable=SC2086
  MODPROXY_UPSTREAM="$UPSTREAM" MODPROXY_STORAGE_DIR="$dir/cache" MODPROXY_SUMDB_REQUIRED=true \
    QUARKUS_HTTP_PORT=$port QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT=$management \
    java $PROXY_JAVA_OPTS -jar "$JAR" >"$dir/log" 2>&1 &
  proxy_pid=$!
  pids+=($proxy_pid)
  proxy_url="http://127.0.0.1:$port"
  proxy_metrics="http://127.0.0.1:$management/q/metrics"
  wait_for "http://127.0.0.1:$management/q/health/ready" modproxy
}
metric_sum() { curl -fsS "$proxy_metrics" | awk -v m="$1" '$1 ~ m {n += $2} END {printf "%d", n}'; }

# the module versions whose zips the project's go.sum lists (its build; go mod download all fetches more)
modules=$(awk '$2 !~ /\/go\.mod$/' "$project/go.sum" | wc -l)
connect=$(curl -sS -o /dev/null -w '%{time_connect} %{time_appconnect} %{time_total}' "$UPSTREAM/golang.org/x/mod/@v/list")
echo "== $PROJECT (its go.sum lists $modules zips), go $GO_COMMAND, upstream $UPSTREAM (TCP connect, TLS done, answer: $connect s); $runs runs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
results="$work/results.txt"
for run in $(seq 1 "$runs"); do
  direct=$(download_all "$UPSTREAM")
  start_proxy
  cold=$(download_all "$proxy_url")
  upstream=$(metric_sum '^modproxy_upstream_requests_seconds_count')
  # every module verified against the real log: none unverified, none refused
  unverified=$(metric_sum '^modproxy_sumdb_(unverified|rejections)_total')
  [ "$unverified" = 0 ] || { echo "modproxy cached $unverified artifacts unverified or refused them" >&2; exit 1; }
  warm=$(download_all "$proxy_url")
  rss=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$proxy_pid/status")
  kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true
  echo "$run $direct $cold $warm $upstream $rss" >>"$results"
  echo "   run $run: direct ${direct}s, cold ${cold}s, warm ${warm}s; modproxy's upstream requests $upstream, peak RSS ${rss} MB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
done

col() { awk -v c="$1" '{print $c}' "$results" | median; }
ratio() { awk -v a="$1" -v b="$2" '{print ($b > 0 ? $a / $b : 0)}' "$results" | median; }
echo
echo "### go $GO_COMMAND of $PROJECT from $UPSTREAM, median of $runs runs"
echo
echo "| direct s | cold s | warm s | cold / direct | warm / direct | modproxy's upstream requests (cold) | modproxy peak RSS MB |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf "| %.2f | %.2f | %.2f | %.2fx | %.2fx | %.0f | %.0f |\n" "$(col 2)" "$(col 3)" "$(col 4)" "$(ratio 3 2)" "$(ratio 4 2)" \
  "$(col 5)" "$(col 6)"
echo
echo "ratios are medians of each run's own ratio; raw (run direct cold warm upstream-requests rss): $(tr '\n' ';' <"$results")"
echo "client caches in $CLIENT_DIR ($(stat -f -c %T "$CLIENT_DIR")); go $(go env GOVERSION), $(java -version 2>&1 | head -1), proxy JVM options: ${PROXY_JAVA_OPTS:-none}, $(nproc) cores, load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
