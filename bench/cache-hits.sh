#!/usr/bin/env bash
# Cache-hit throughput and latency of the proxy against nginx serving the same files from disk,
# then a cold-coalescing check: 200 simultaneous cold requests for one zip must cost one upstream fetch.
# The proxy's resident memory (VmRSS) is sampled every half second throughout; the proxy runs as the
# README runs it (`java -Xmx128m -jar`; PROXY_JAVA_OPTS replaces -Xmx128m); NMT=1 adds -XX:NativeMemoryTracking=summary
# and prints the JVM's own account of its memory at the end (heap, threads, code, GC, direct buffers).
# ONLY=<regex> limits the measuring to some artifacts (names: info, mod, zip-16KB, zip-1MB, zip-20MB).
# CLIENT=go measures with bench/hitload (the Go standard library's HTTP client, a goroutine per
# connection, as the go command reads) instead of wrk (one thread reading many connections); the
# warm-ups and the cold-coalescing check use wrk either way.
# Everything listens on 127.0.0.1 only and every load run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CLIENT=${CLIENT:-wrk}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
NGINX=${NGINX:-/usr/sbin/nginx}
# the README's run command: java -Xmx128m -jar (PROXY_JAVA_OPTS= for none at all)
PROXY_JAVA_OPTS=${PROXY_JAVA_OPTS--Xmx128m}
[ "${NMT:-0}" = 1 ] && PROXY_JAVA_OPTS="$PROXY_JAVA_OPTS -XX:NativeMemoryTracking=summary"
for tool in "$NGINX" wrk curl java sha256sum; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install nginx wrk curl)" >&2; exit 2; }
done
case $CLIENT in
  wrk) ;;
  go) command -v go >/dev/null || { echo "CLIENT=go needs the go command" >&2; exit 2; } ;;
  *) echo "CLIENT must be wrk or go, not $CLIENT" >&2; exit 2 ;;
esac

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_work modproxy-bench

# JAR=path/to/quarkus-run.jar measures a jar built before (e.g. a before/after pair) instead of building one.
if [ -n "${JAR:-}" ]; then
  jar=$JAR
else
  echo "== building the proxy jar"
  ./mvnw -B -q -pl proxy -am package -DskipTests
  jar=proxy/target/quarkus-app/quarkus-run.jar
fi

echo "== generating the fixture tree"
tree="$work/tree"
java bench/FixtureTree.java "$tree"

mirror_port=$(free_port)
static_port=$(free_port)
proxy_port=$(free_port)
proxy_management_port=$(free_port)
# Two nginx servers over one tree: "mirror" is the proxy's upstream (logged, rate-limited like a remote
# mirror, so cold fetches overlap); "static" is the baseline the proxy's cache hits are compared with.
start_nginx "
  server {
    listen 127.0.0.1:$mirror_port;
    root $tree;
    access_log $work/nginx/logs/mirror.log;
    limit_rate 8m;
  }
  server {
    listen 127.0.0.1:$static_port;
    root $tree;
  }"
wait_for "http://127.0.0.1:$static_port/example.com/bench/small/@v/list" nginx

# shellcheck disable=SC2086
MODPROXY_UPSTREAM="http://127.0.0.1:$mirror_port" MODPROXY_STORAGE_DIR="$work/cache" MODPROXY_SUMDB=off \
  QUARKUS_HTTP_PORT=$proxy_port QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT=$proxy_management_port \
  java $PROXY_JAVA_OPTS -jar "$jar" >"$work/proxy.log" 2>&1 &
proxy_pid=$!
pids+=($proxy_pid)
wait_for "http://127.0.0.1:$proxy_management_port/q/health/ready" "the proxy"

# RSS in MB every half second, "phase rss" lines; the phase is what the load is doing at the time
echo started >"$work/phase"
(while [ -e "/proc/$proxy_pid/status" ]; do
  echo "$(cat "$work/phase") $(awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$proxy_pid/status" 2>/dev/null)"
  sleep 0.5
done) >"$work/rss.txt" 2>/dev/null &
pids+=($!)
phase() { echo "$1" >"$work/phase"; }

artifacts=(
  "info example.com/bench/small/@v/v1.0.0.info"
  "mod example.com/bench/small/@v/v1.0.0.mod"
  "zip-16KB example.com/bench/tiny/@v/v1.0.0.zip"
  "zip-1MB example.com/bench/small/@v/v1.0.0.zip"
  "zip-20MB example.com/bench/large/@v/v1.0.0.zip"
)
if [ -n "${ONLY:-}" ]; then
  chosen=()
  for a in "${artifacts[@]}"; do [[ ${a%% *} =~ ^($ONLY)$ ]] && chosen+=("$a"); done
  [ ${#chosen[@]} -gt 0 ] || { echo "ONLY=$ONLY matches none of: ${artifacts[*]%% *}" >&2; exit 2; }
  artifacts=("${chosen[@]}")
fi

phase warm-up
echo "== warming the cache (and checking the proxy serves the upstream's bytes)"
for a in "${artifacts[@]}"; do
  path=${a#* }
  want=$(sha256sum <"$tree/$path" | cut -d' ' -f1)
  for _ in 1 2; do
    got=$(curl -fsS --max-time 120 "http://127.0.0.1:$proxy_port/$path" | sha256sum | cut -d' ' -f1) \
      || { echo "the proxy did not serve $path" >&2; exit 1; }
    [ "$got" = "$want" ] || { echo "proxy served different bytes for $path" >&2; exit 1; }
  done
done
echo "== JIT warm-up of the proxy (5 s per artifact, not measured)"
phase jit-warm-up
for a in "${artifacts[@]}"; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "http://127.0.0.1:$proxy_port/${a#* }" >/dev/null
done

to_ms() { # wrk latency like 812.00us, 3.21ms, 1.02s
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}
measure() { # url -> "req/s p99ms non2xx timeouts"
  local out rps p99 non2xx timeouts
  if [ "$CLIENT" = go ]; then
    "$work/hitload" -url "$1" -c "$CONNECTIONS" -d "$DURATION" -timeout 10s
    return
  fi
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency "$1")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  timeouts=$(awk '/Socket errors:/ {print $NF}' <<<"$out")
  echo "$rps $p99 ${non2xx:-0} ${timeouts:-0}"
}

# Rounds alternate nginx and the proxy so that load from other work on the machine hits both alike;
# the table shows medians over rounds, and ratios are medians of each round's proxy/nginx pair.
if [ "$CLIENT" = go ]; then
  (cd bench/hitload && go build -o "$work/hitload" .)
  echo "== measuring: $ROUNDS rounds of bench/hitload -c $CONNECTIONS -d $DURATION, nginx then proxy, per artifact"
else
  echo "== measuring: $ROUNDS rounds of wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, nginx then proxy, per artifact"
fi
results="$work/results.txt"
for round in $(seq 1 "$ROUNDS"); do
  for a in "${artifacts[@]}"; do
    name=${a%% *}
    path=${a#* }
    phase idle
    echo "$name nginx $(measure "http://127.0.0.1:$static_port/$path")" >>"$results"
    phase "$name"
    echo "$name proxy $(measure "http://127.0.0.1:$proxy_port/$path")" >>"$results"
  done
  echo "   round $round done, load average $(cut -d' ' -f1-3 /proc/loadavg)"
done

pick() { awk -v n="$1" -v s="$2" -v c="$3" '$1 == n && $2 == s {print $c}' "$results"; }
paired() { # median over rounds of proxy/nginx for column $2, each proxy run against the nginx run just before it
  awk -v n="$1" -v c="$2" '$1 == n && $2 == "nginx" {base = $c} $1 == n && $2 == "proxy" {print $c / base}' "$results" | median
}
table="| artifact | size | nginx req/s | proxy req/s | proxy/nginx req/s | proxy MB/s | nginx p99 ms | proxy p99 ms | proxy/nginx p99 | errors (non-2xx, timeouts) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for a in "${artifacts[@]}"; do
  name=${a%% *}
  size=$(stat -c %s "$tree/${a#* }")
  errors=$(awk -v n="$name" '$1 == n {e += $5; t += $6} END {print e ", " t}' "$results")
  table+=$'\n'$(awk -v name="$name" -v size="$size" -v err="$errors" \
    -v nr="$(pick "$name" nginx 3 | median)" -v pr="$(pick "$name" proxy 3 | median)" -v rr="$(paired "$name" 3)" \
    -v np="$(pick "$name" nginx 4 | median)" -v pp="$(pick "$name" proxy 4 | median)" -v pr99="$(paired "$name" 4)" \
    'BEGIN {printf "| %s | %d B | %.0f | %.0f | %.2fx | %.0f | %.1f | %.1f | %.2fx | %s |", name, size, nr, pr, rr, pr * size / 1e6, np, pp, pr99, err}')
done
echo "$table"
echo "== every round (artifact server req/s p99ms non2xx timeouts):"
cat "$results"
echo "== load average after measuring: $(cut -d' ' -f1-3 /proc/loadavg)"

for a in "${artifacts[@]}"; do
  echo "upstream fetches of ${a#* } during the whole run: $(grep -c " /${a#* } " "$work/nginx/logs/mirror.log" || true) (1 expected)"
done

phase idle
echo "== cold coalescing: 200 connections at once for one cold 20 MB zip (upstream limited to 8 MB/s)"
phase cold-200
cold=example.com/bench/cold/@v/v1.0.0.zip
wrk -t"$THREADS" -c200 -d8s --timeout 30s "http://127.0.0.1:$proxy_port/$cold" >"$work/cold.txt"
grep -E "requests in|Non-2xx" "$work/cold.txt" || true
fetches=$(grep -c " /$cold " "$work/nginx/logs/mirror.log" || true)
want=$(sha256sum <"$tree/$cold" | cut -d' ' -f1)
got=$(curl -fsS --max-time 60 "http://127.0.0.1:$proxy_port/$cold" | sha256sum | cut -d' ' -f1)
echo "upstream fetches of the cold zip: $fetches (must be 1); cached copy identical: $([ "$got" = "$want" ] && echo yes || echo NO)"
phase end
sleep 1
echo "== proxy resident memory (VmRSS, MB) while each phase ran: max (median); JVM options: ${PROXY_JAVA_OPTS:-none}"
awk 'NF == 2 {n[$1]++; v[$1, n[$1]] = $2; if ($2 > m[$1]) m[$1] = $2; if (!($1 in seen)) {seen[$1] = 1; order[++k] = $1}}
  END {for (i = 1; i <= k; i++) {p = order[i]; c = n[p]
    # median of the samples, sorted in place
    for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++) if (v[p, b] < v[p, a]) {t = v[p, a]; v[p, a] = v[p, b]; v[p, b] = t}
    printf "%s %d (%d)%s", p, m[p], v[p, int((c + 1) / 2)], (i < k ? ", " : "\n")}}' "$work/rss.txt"
echo "peak RSS (VmHWM) of the proxy over the whole run: $(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$proxy_pid/status") MB"
if [ "${NMT:-0}" = 1 ]; then
  jcmd "$proxy_pid" VM.native_memory summary | grep -E "^(Total|-|Native Memory)|committed=" | sed -n '1,80p'
fi
[ "$fetches" = 1 ] && [ "$got" = "$want" ]
