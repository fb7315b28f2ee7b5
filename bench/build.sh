#!/usr/bin/env bash
# The build a user waits for: `go mod download all` of a module graph (or GO_COMMAND), timed four ways in one run,
#   direct  GOPROXY = the upstream itself (bench/peers/slowmirror: a GOPROXY tree served after a
#           fixed delay per request, like a mirror one round trip away)
#   cold    GOPROXY = a modproxy with an empty cache in front of that upstream (a new one each run)
#   warm    GOPROXY = the same modproxy again, every answer now cached (its first warm build)
#   steady  the same modproxy once it has served WARM_BUILDS warm builds (default 12): the median of
#           the last three. The first warm builds after a start pay for the JIT compiling the hit path
#           (docs/benchmarks.md); a proxy that has served a dozen answers as fast as it ever will
#   file    GOPROXY = file:// of the same tree (no network, no delay: the floor)
#   nginx   GOPROXY = nginx serving the same tree from disk (the floor for any HTTP GOPROXY: the same requests
#           over loopback, answered by a static file server; skipped when nginx is not installed)
# each with a fresh module cache and build cache, GOFLAGS=-mod=mod, GOSUMDB=off (the graph's go.sum
# checks every module and go.mod; no checksum database is asked, by the client or by modproxy).
# The modes take turns within each run, so load from elsewhere falls on all of them alike; the table
# gives medians over runs and the median of each run's ratios.
#
# Usage: bench/build.sh [graph=synthetic|real] [delay=50ms] [runs=3]
#   synthetic  MODULES (300) generated modules in LAYERS (10) layers with transitive requirements
#              (bench/FixtureTree.java --graph); every go.mod says go 1.16, so the go command walks
#              the whole requirement graph, one layer after the other
#   real       e2e/capture/graph (139 real modules: Kubernetes, controller-runtime, OpenTelemetry,
#              a 69 MB zip), replayed from the capture (e2e/capture/capture.sh)
# The clients' module and build caches (about 1 GB and 50,000 files per download of the real graph) go to
# CLIENT_DIR, by default a directory under /dev/shm where that is a tmpfs: on this project's VMs, deleting one
# run's cache on disk leaves the next run waiting on the disk's write-back (a file:// download took 4.7 s
# after a quiet disk and 17 s after a deleted cache), which would time the disk instead of the proxy.
# The proxy's own cache stays on disk under /tmp, as in production.
# Env: PROXY_JAVA_OPTS (JVM options of modproxy; default -Xmx128m, the README's run command;
#      PROXY_JAVA_OPTS= for none at all), PROXY_JAVA (the java that runs modproxy; default: java on PATH),
#      JAR (default: build proxy/target/quarkus-app/quarkus-run.jar), WARM_BUILDS (default 12, at least 3),
#      CLIENT_GOMAXPROCS (the go command's GOMAXPROCS: how many requests it makes at once, as on a runner
#      with that many cores; it keeps two idle connections per host, so more means new connections),
#      GO_COMMAND (default "mod download all"; "list -deps ./..." downloads what go build of the graph's
#      program does, in the same order, without compiling it; "mod download" what a Dockerfile's
#      dependency layer does), SUMDB (off, the default; on: modproxy verifies every .mod and zip against a checksum
#      database as in its default configuration, and a run fails if anything was cached unverified or refused; the
#      go command still checks against go.sum alone. Real graph: sum.golang.org's log as the capture recorded it,
#      served by the mirror. Synthetic graph: a real checksum database (proxy/src/test/go/sumdbserver, started empty
#      for each run) that logs each module version on its first lookup, as sum.golang.org logged it when a proxy
#      first fetched it; its tree grows with every new module, so each lookup answers in a tree modproxy has not
#      seen yet, as sum.golang.org's does; the mirror serves it under /sumdb/ behind the same delay),
#      RATE (bytes a second the mirror sends each answer at, as over a link that narrow; default: as fast as loopback),
#      NMT (1: modproxy runs with -XX:NativeMemoryTracking=summary, and where its resident memory is, in the JVM's
#      account and the kernel's, is printed right after the cold build and after the warm ones: bench/proxy-memory.py).
#      modproxy inherits this script's environment (the go commands do not): MALLOC_ARENA_MAX=2 bench/build.sh ...
#      runs it as the images do.
# Everything listens on 127.0.0.1 only. Not part of ./mvnw verify; run it under the heavy lock:
#   flock /tmp/modproxy-heavy.lock bench/build.sh synthetic 50ms 3
set -euo pipefail
cd "$(dirname "$0")/.."

graph_kind=${1:-synthetic}
delay=${2:-50ms}
runs=${3:-3}
MODULES=${MODULES:-300}
PROXY_JAVA_OPTS=${PROXY_JAVA_OPTS--Xmx128m}
PROXY_JAVA=${PROXY_JAVA:-java}
[ "${NMT:-0}" = 1 ] && PROXY_JAVA_OPTS="$PROXY_JAVA_OPTS -XX:NativeMemoryTracking=summary"
LAYERS=${LAYERS:-10}
WARM_BUILDS=${WARM_BUILDS:-12}
GO_COMMAND=${GO_COMMAND:-mod download all}
SUMDB=${SUMDB:-off}
[ "$WARM_BUILDS" -ge 3 ] || { echo "WARM_BUILDS is at least 3, not $WARM_BUILDS" >&2; exit 2; }
NGINX=${NGINX:-/usr/sbin/nginx}
for tool in java go curl awk; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_work modproxy-build
if [ -z "${CLIENT_DIR:-}" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
  CLIENT_DIR=$(mktemp -d /dev/shm/modproxy-build-clients.XXXXXX)
  trap 'bench_cleanup; chmod -R u+w "$CLIENT_DIR" 2>/dev/null; rm -rf "$CLIENT_DIR"' EXIT
fi
CLIENT_DIR=${CLIENT_DIR:-$work}

# A go command that sees nothing of this machine's Go settings; a fresh module and build cache.
go_clean() { # home, then go arguments
  local home=$1; shift
  env -i PATH="$PATH" HOME="$home" GOENV=off GOTOOLCHAIN=local GOSUMDB=off GOFLAGS="-mod=mod -modcacherw" \
    ${CLIENT_GOMAXPROCS:+GOMAXPROCS=$CLIENT_GOMAXPROCS} \
    GOMODCACHE="$home/mod" GOCACHE="$home/cache" GOPROXY="$GOPROXY_FOR_RUN" timeout 600 go "$@"
}

graph="$work/graph"
mkdir -p "$graph"
case "$graph_kind" in
  synthetic)
    echo "== generating $MODULES modules in $LAYERS layers"
    java bench/FixtureTree.java --graph "$MODULES" "$LAYERS" "$work/synthetic"
    tree="$work/synthetic/proxy"
    cp "$work/synthetic/main/go.mod" "$work/synthetic/main/main.go" "$graph/"
    # go.sum written once from the tree itself, so every measured run checks what it downloads
    (cd "$graph" && GOPROXY_FOR_RUN="file://$tree" go_clean "$CLIENT_DIR/sum-home" mod download all)
    chmod -R u+w "$CLIENT_DIR/sum-home"; rm -rf "$CLIENT_DIR/sum-home"
    ;;
  real)
    capture=$(e2e/capture/capture.sh | tail -1)
    tree="$capture/proxy"
    cp e2e/capture/graph/go.mod e2e/capture/graph/go.sum e2e/capture/graph/main.go "$graph/"
    # the capture holds the lookups and tiles the go command read; the mirror also serves the tree head it verified
    mkdir -p "$work/sumdb-head/sumdb/sum.golang.org"
    cp "$capture/sumdb/sum.golang.org/latest" "$work/sumdb-head/sumdb/sum.golang.org/latest"
    tree="$tree:$work/sumdb-head"
    ;;
  *) echo "graph is synthetic or real, not $graph_kind" >&2; exit 2 ;;
esac
case "$SUMDB" in
  off) proxy_sumdb=off ;;
  on) ;;
  *) echo "SUMDB is off or on, not $SUMDB" >&2; exit 2 ;;
esac
# the synthetic graph's checksum database: built here, started empty for each run (start_sumdb)
mirror_forward=()
if [ "$SUMDB" = on ] && [ "$graph_kind" = synthetic ]; then
  (cd proxy/src/test/go/sumdbserver \
    && env GOTOOLCHAIN=local GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= go build -o "$work/sumdbserver" .)
  sumdb_port=$(free_port)
  mirror_forward=(-forward "/sumdb/sum.bench.test=http://127.0.0.1:$sumdb_port")
  mkfifo "$work/sumdb.in"
  exec 4<>"$work/sumdb.in" # the database serves until its stdin closes: this keeps it open
fi
# A new, empty checksum database on $sumdb_port that learns the modules of $tree_dir as they are looked up; the same
# key every run (so $sumdb_vkey stays).
start_sumdb() {
  if [ -n "${sumdb_pid:-}" ]; then kill "$sumdb_pid"; wait "$sumdb_pid" 2>/dev/null || true; fi
  "$work/sumdbserver" -name sum.bench.test -key "$work/sumdb.key" -proxydir "$tree_dir" -addr "127.0.0.1:$sumdb_port" \
    <"$work/sumdb.in" >"$work/sumdb.out" 2>"$work/sumdb.log" &
  sumdb_pid=$!
  pids+=("$sumdb_pid")
  wait_for "http://127.0.0.1:$sumdb_port/latest" "checksum database"
  sumdb_vkey=$(awk '/^vkey / {print $2}' "$work/sumdb.out")
}
tree_dir=${tree%%:*} # file:// and nginx serve the modules alone

if [ -z "${JAR:-}" ]; then
  echo "== building modproxy's jar"
  ./mvnw -B -q -o -pl proxy -am package -DskipTests
  JAR=proxy/target/quarkus-app/quarkus-run.jar
fi
(cd bench/peers/slowmirror && GOTOOLCHAIN=local go build -o "$work/slowmirror" .)
mirror_port=$(free_port)
"$work/slowmirror" -addr "127.0.0.1:$mirror_port" -root "$tree" -delay "$delay" -rate "${RATE:-0}" "${mirror_forward[@]}" \
  >"$work/mirror.log" 2>&1 &
pids+=($!)
mirror="http://127.0.0.1:$mirror_port"
wait_for "$mirror/_counts" "slow mirror"
if [ "$SUMDB" = on ] && [ "$graph_kind" = real ]; then proxy_sumdb="sum.golang.org $mirror/sumdb/sum.golang.org"; fi

# nginx over the same tree, no delay: what a warm cache could be at best over HTTP
static=""
if [ -x "$NGINX" ]; then
  static_port=$(free_port)
  start_nginx "
  server {
    listen 127.0.0.1:$static_port;
    root $tree_dir;
  }"
  static="http://127.0.0.1:$static_port"
  wait_for "$static/" nginx any
else
  echo "== no nginx at $NGINX: the nginx column stays empty (apt-get install nginx)"
fi

# Starts a modproxy with an empty cache in front of the mirror; sets $proxy_url and $proxy_pid.
start_proxy() {
  local port management dir
  port=$(free_port); management=$(free_port)
  dir=$(mktemp -d "$work/proxy.XXXXXX")
  # shellcheck disable=SC2086
  MODPROXY_UPSTREAM="$mirror" MODPROXY_STORAGE_DIR="$dir/cache" MODPROXY_SUMDB="$proxy_sumdb" \
    MODPROXY_SUMDB_REQUIRED=true \
    QUARKUS_HTTP_PORT=$port QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT=$management \
    "$PROXY_JAVA" $PROXY_JAVA_OPTS -jar "$JAR" >"$dir/log" 2>&1 &
  proxy_pid=$!
  pids+=($proxy_pid)
  proxy_url="http://127.0.0.1:$port"
  proxy_metrics="http://127.0.0.1:$management/q/metrics"
  wait_for "http://127.0.0.1:$management/q/health/ready" modproxy
}

upstream_requests() { curl -fsS "$mirror/_counts" | awk '{n += $1} END {print n + 0}'; }

# $GO_COMMAND through $1 with a fresh module cache; prints the seconds it took.
download_all() {
  local home start end
  home=$(mktemp -d "$CLIENT_DIR/client.XXXXXX")
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  (cd "$graph" && GOPROXY_FOR_RUN="$1" go_clean "$home" $GO_COMMAND) >"$home.log" 2>&1 \
    || { echo "go $GO_COMMAND through $1 failed:" >&2; tail -20 "$home.log" >&2; return 1; }
  end=$(date +%s.%N)
  chmod -R u+w "$home"; rm -rf "$home"
  awk -v s="$start" -v e="$end" 'BEGIN {printf "%.2f", e - s}'
}

modules=$(cd "$graph" && GOPROXY_FOR_RUN="file://$tree_dir" go_clean "$CLIENT_DIR/list-home" list -m all | tail -n +2 | wc -l)
chmod -R u+w "$CLIENT_DIR/list-home"; rm -rf "$CLIENT_DIR/list-home"
echo "== $graph_kind graph: $modules modules; upstream delay $delay; $runs runs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
results="$work/results.txt"
for run in $(seq 1 "$runs"); do
  file=$(download_all "file://$tree_dir")
  nginx=0
  [ -z "$static" ] || nginx=$(download_all "$static")
  curl -fsS -X DELETE "$mirror/_counts"
  direct=$(download_all "$mirror")
  direct_requests=$(upstream_requests)
  if [ "$SUMDB" = on ] && [ "$graph_kind" = synthetic ]; then
    start_sumdb
    proxy_sumdb="$sumdb_vkey $mirror/sumdb/sum.bench.test"
  fi
  start_proxy
  curl -fsS -X DELETE "$mirror/_counts"
  cold=$(download_all "$proxy_url")
  cold_requests=$(upstream_requests)
  cold_rss=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$proxy_pid/status")
  [ "${NMT:-0}" != 1 ] || python3 bench/proxy-memory.py "$proxy_pid" "after the cold build of run $run"
  if [ "$SUMDB" = on ]; then # every module verified against the log: none unverified, none refused
    verified=$(curl -fsS "$proxy_metrics" | awk '/^modproxy_sumdb_(unverified|rejections)_total/ {n += $2} END {print n + 0}')
    [ "$verified" = 0 ] || { echo "modproxy cached $verified artifacts unverified or refused them" >&2; exit 1; }
  fi
  warm=$(download_all "$proxy_url")
  warms=("$warm")
  for _ in $(seq 2 "$WARM_BUILDS"); do warms+=("$(download_all "$proxy_url")"); done
  steady=$(printf '%s\n' "${warms[@]: -3}" | median)
  [ "${NMT:-0}" != 1 ] || python3 bench/proxy-memory.py "$proxy_pid" "after the warm builds of run $run"
  rss=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$proxy_pid/status")
  # what the prefetcher did over the cold and the warm download (issued, used, wasted by kind)
  echo "   run $run: prefetch $(curl -fsS "$proxy_metrics" | awk '/^modproxy_prefetch_(issued|used|wasted)_total/ {
      sub(/^modproxy_prefetch_/, ""); sub(/_total/, ""); printf "%s=%d ", $1, $2 }')"
  kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true
  echo "$run $direct $cold $warm $file $direct_requests $cold_requests $rss $nginx $steady" >>"$results"
  echo "   run $run: direct ${direct}s, cold ${cold}s, warm ${warm}s, steady ${steady}s (warm builds: ${warms[*]}), file ${file}s, nginx ${nginx}s; upstream requests direct $direct_requests, cold $cold_requests; modproxy peak RSS ${rss} MB (${cold_rss} MB by the end of the cold build); load average $(cut -d' ' -f1-3 /proc/loadavg)"
done

col() { awk -v c="$1" '{print $c}' "$results" | median; }
ratio() { awk -v a="$1" -v b="$2" '{print ($b > 0 ? $a / $b : 0)}' "$results" | median; }
echo
echo "### go $GO_COMMAND, $graph_kind graph ($modules modules), upstream delay $delay, median of $runs runs"
echo
echo "| direct s | cold s | warm s | steady s | file:// s | nginx s | cold / direct | warm / file:// | warm / nginx | steady / file:// | steady / nginx | warm / direct | upstream requests direct | upstream requests cold | modproxy peak RSS MB |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf "| %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2fx | %.2fx | %.2fx | %.2fx | %.2fx | %.2fx | %.0f | %.0f | %.0f |\n" "$(col 2)" "$(col 3)" \
  "$(col 4)" "$(col 10)" "$(col 5)" "$(col 9)" "$(ratio 3 2)" "$(ratio 4 5)" "$(ratio 4 9)" "$(ratio 10 5)" "$(ratio 10 9)" \
  "$(ratio 4 2)" "$(col 6)" "$(col 7)" "$(col 8)"
echo
echo "ratios are medians of each run's own ratio; raw (run direct cold warm file requests-direct requests-cold rss nginx steady): $(tr '\n' ';' <"$results")"
echo "modproxy's checksum database: $SUMDB; client caches in $CLIENT_DIR ($(stat -f -c %T "$CLIENT_DIR")); go $(go env GOVERSION), $("$PROXY_JAVA" -version 2>&1 | head -1), proxy JVM options: ${PROXY_JAVA_OPTS:-none}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-unset}, $(nproc) cores, load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
