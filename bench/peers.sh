#!/usr/bin/env bash
# modproxy side by side with Athens, goproxy and nginx (the static limit), each in front of the same
# upstream (bench/peers/slowmirror: the real module graph of e2e/capture, served after a fixed
# delay per request) in one run:
#   - `go mod download all` of e2e/capture/graph (139 real modules), cold (empty proxy cache) and
#     warm, a fresh module cache each time, at 50 ms and 150 ms upstream delay
#   - upstream requests per module during the cold run
#   - cache-hit throughput and p99 per artifact (wrk), peak RSS (VmHWM) of the proxy process
# Everything listens on 127.0.0.1 only; every load run is bounded in time. Needs the capture
# (e2e/capture/capture.sh), the peers (bench/peers/build.sh), nginx and wrk (Debian). Run it under
# the heavy lock: flock /tmp/modproxy-heavy.lock bench/peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
DELAYS=${DELAYS:-"50ms 150ms"}
NGINX=${NGINX:-/usr/sbin/nginx}
for tool in "$NGINX" wrk curl java go; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install nginx wrk curl)" >&2; exit 2; }
done

capture=$(e2e/capture/capture.sh | tail -1)
peers=$(bench/peers/build.sh | tail -1)
tree="$capture/proxy"
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_work modproxy-peers

# The capture holds only the .mod of the module versions in the graph whose code no build needs;
# Athens fetches every module whole (its go command downloads the zip too) and answers 404 when
# the upstream has no zip, where proxy.golang.org would have one. Those zips (9 of them), fetched
# once per machine with the go command, complete the mirror.
extra="$(dirname "$peers")/../graph-zips-$(basename "$capture")"
if [ ! -f "$extra/complete" ]; then
  echo "== fetching the zips the capture lacks for the whole module graph"
  rm -rf "$extra"; mkdir -p "$extra/home" "$extra/outside"
  goenv=(env -i PATH="$PATH" HOME="$extra/home" GOENV=off GOTOOLCHAIN=local GOFLAGS=-modcacherw
    GOMODCACHE="$extra/mod" GOPROXY=https://proxy.golang.org GOSUMDB=sum.golang.org)
  missing=()
  for mv in $(cd e2e/capture/graph && "${goenv[@]}" go mod graph | tr ' ' '\n' | grep @ | grep -v -e '^go@' -e '^toolchain@' | sort -u); do
    escaped=$(sed 's/[A-Z]/!\L&/g' <<<"${mv%@*}")
    [ -f "$tree/$escaped/@v/${mv#*@}.zip" ] || missing+=("$mv")
  done
  (cd "$extra/outside" && "${goenv[@]}" go mod download "${missing[@]}")
  touch "$extra/complete"
fi
extra_tree="$extra/mod/cache/download"

echo "== building modproxy's jar and the slow mirror"
./mvnw -B -q -pl proxy -am package -DskipTests
jar=proxy/target/quarkus-app/quarkus-run.jar
(cd bench/peers/slowmirror && GOTOOLCHAIN=local go build -o "$work/slowmirror" .)

declare -A mirror
for delay in $DELAYS; do
  port=$(free_port)
  "$work/slowmirror" -addr "127.0.0.1:$port" -root "$tree:$extra_tree" -delay "$delay" >"$work/mirror-$delay.log" 2>&1 &
  pids+=($!)
  mirror[$delay]="http://127.0.0.1:$port"
  wait_for "${mirror[$delay]}/_counts" "slow mirror ($delay)" any
done

static_port=$(free_port)
start_nginx "
  server {
    listen 127.0.0.1:$static_port;
    root $tree;
  }"
wait_for "http://127.0.0.1:$static_port/k8s.io/api/@v/v0.37.0.mod" nginx any

# Starts one proxy in front of $2 with empty storage; sets $proxy_url and $proxy_pid.
start_proxy() { # name upstream
  local name=$1 upstream=$2 port dir
  port=$(free_port)
  dir="$work/$name-$(date +%s%N)"
  mkdir -p "$dir/cache" "$dir/tmp"
  case "$name" in
    modproxy)
      MODPROXY_UPSTREAM="$upstream" MODPROXY_STORAGE_DIR="$dir/cache" MODPROXY_SUMDB=off \
        QUARKUS_HTTP_PORT=$port QUARKUS_HTTP_HOST=127.0.0.1 \
        java -Xmx1g -jar "$jar" >"$dir/log" 2>&1 &
      ;;
    athens)
      # Athens' documented setup for an upstream GOPROXY: its go command fetches through it.
      ATHENS_STORAGE_TYPE=disk ATHENS_DISK_STORAGE_ROOT="$dir/cache" ATHENS_PORT="127.0.0.1:$port" \
        ATHENS_GO_BINARY_ENV_VARS="GOPROXY=$upstream; GOSUMDB=off" ATHENS_GOGET_DIR="$dir/tmp" \
        GOFLAGS=-modcacherw HOME="$dir" "$peers/athens" >"$dir/log" 2>&1 &
      ;;
    goproxy)
      # goproxy's documented setup: GOPROXY names the upstream, a GOMODCACHE of its own, dir cacher.
      GOPROXY="$upstream" GOSUMDB=off GOMODCACHE="$dir/gomodcache" GOFLAGS=-modcacherw HOME="$dir" \
        "$peers/goproxy" server --address "127.0.0.1:$port" --cacher-dir "$dir/cache" \
        --temp-dir "$dir" >"$dir/log" 2>&1 &
      ;;
  esac
  proxy_pid=$!
  pids+=($proxy_pid)
  proxy_url="http://127.0.0.1:$port"
  proxy_log="$dir/log"
  wait_for "$proxy_url/" "$name" any
  curl -fsS -X DELETE "$upstream/_counts" >/dev/null
}

peak_rss_mb() { awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

graph="$work/graph"
mkdir -p "$graph"
cp e2e/capture/graph/go.mod e2e/capture/graph/go.sum e2e/capture/graph/main.go "$graph/"
modules=$(grep -c . "$capture/modules.txt")
# go mod download all with a fresh module cache; prints the seconds it took.
download_all() { # goproxy-url
  local home
  home=$(mktemp -d "$work/client.XXXXXX")
  local start end
  start=$(date +%s.%N)
  (cd "$graph" && env -i PATH="$PATH" HOME="$home" GOENV=off GOTOOLCHAIN=local GOPROXY="$1" GOSUMDB=off \
    GOFLAGS=-modcacherw GOMODCACHE="$home/mod" GOCACHE="$home/cache" timeout 600 go mod download all) \
    >"$home.log" 2>&1 || { echo "go mod download all through $1 failed:" >&2; cat "$home.log" >&2; return 1; }
  end=$(date +%s.%N)
  chmod -R u+w "$home"; rm -rf "$home"
  awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e - s}'
}

results="$work/results.txt"
echo "== go mod download all ($modules modules), cold and warm, per upstream delay"
for delay in $DELAYS; do
  echo "nginx $delay - $(download_all "http://127.0.0.1:$static_port") -" >>"$results"
  for name in modproxy athens goproxy; do
    start_proxy "$name" "${mirror[$delay]}"
    cold=$(download_all "$proxy_url") || { echo "$name cold failed; log:" >&2; tail -20 "$proxy_log" >&2; exit 1; }
    upstream=$(curl -fsS "${mirror[$delay]}/_counts" | awk '{n += $1} END {print n + 0}')
    warm=$(download_all "$proxy_url")
    echo "$name $delay $cold $warm $upstream $(peak_rss_mb "$proxy_pid")" >>"$results"
    echo "   $name at $delay: cold ${cold}s, warm ${warm}s, $upstream upstream requests"
    if [ "$delay" != "${DELAYS##* }" ]; then kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; fi
    declare "last_$name=$proxy_url" "pid_$name=$proxy_pid"
  done
done

artifacts=(
  "info k8s.io/api/@v/v0.37.0.info"
  "mod k8s.io/api/@v/v0.37.0.mod"
  "zip-1MB k8s.io/apiextensions-apiserver/@v/v0.37.0.zip"
  "zip-7MB golang.org/x/text/@v/v0.40.0.zip"
  "zip-69MB github.com/!azure/azure-sdk-for-go/@v/v68.0.0+incompatible.zip"
)
to_ms() { # wrk latency like 812.00us, 3.21ms, 1.02s
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}
measure() { # url -> "req/s p99ms errors"
  local out rps p99 non2xx
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency "$1")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  echo "$rps $p99 ${non2xx:-0}"
}
echo "== cache hits: wrk -t$THREADS -c$CONNECTIONS -d$DURATION per artifact (after 2 s of warm-up)"
hits="$work/hits.txt"
for a in "${artifacts[@]}"; do
  name=${a%% *} path=${a#* }
  for server in nginx modproxy athens goproxy; do
    if [ "$server" = nginx ]; then url="http://127.0.0.1:$static_port/$path"; else v="last_$server"; url="${!v}/$path"; fi
    curl -fsS -o /dev/null --max-time 120 "$url"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$url" >/dev/null
    echo "$name $server $(measure "$url")" >>"$hits"
  done
  echo "   $name done, load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
rss_nginx=$(for p in $(pgrep -P "$nginx_pid") "$nginx_pid"; do peak_rss_mb "$p"; echo; done | awk '{s += $1} END {print s}')
rss_modproxy=$(peak_rss_mb "$pid_modproxy"); rss_athens=$(peak_rss_mb "$pid_athens"); rss_goproxy=$(peak_rss_mb "$pid_goproxy")

echo
echo "### go mod download all of e2e/capture/graph ($modules modules), seconds (fresh module cache each run)"
echo
echo "| upstream delay | server | cold s | warm s | warm / nginx | warm / modproxy | cold / modproxy | upstream requests per module (cold) |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for delay in $DELAYS; do
  awk -v d="$delay" -v m="$modules" '
    $1 == "nginx" && $2 == d {nginx = $4}
    $1 == "modproxy" && $2 == d {mc = $3; mw = $4}
    $2 == d && $1 != "nginx" {name[++n] = $1; cold[n] = $3; warm[n] = $4; up[n] = $5}
    END {
      printf "| %s | nginx (static, no upstream) | - | %.1f | 1.00x | %.2fx | - | - |\n", d, nginx, nginx / mw
      for (i = 1; i <= n; i++)
        printf "| %s | %s | %.1f | %.1f | %.2fx | %.2fx | %.2fx | %.2f |\n", d, name[i], cold[i], warm[i],
          warm[i] / nginx, warm[i] / mw, cold[i] / mc, up[i] / m
    }' "$results"
done
echo
echo "### cache hits: requests/s and p99 (wrk -t$THREADS -c$CONNECTIONS -d$DURATION)"
echo
echo "| artifact | server | req/s | p99 ms | req/s / nginx | req/s / modproxy | p99 / modproxy | non-2xx |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for a in "${artifacts[@]}"; do
  awk -v n="${a%% *}" '$1 == n {s[$2] = $3; p[$2] = $4; e[$2] = $5}
    END { split("nginx modproxy athens goproxy", order, " ")
      for (i = 1; i <= 4; i++) { k = order[i]
        printf "| %s | %s | %.0f | %.2f | %.2fx | %.2fx | %.2fx | %d |\n", n, k, s[k], p[k], s[k] / s["nginx"],
          s[k] / s["modproxy"], p[k] / p["modproxy"], e[k] } }' "$hits"
done
echo
echo "### peak RSS (VmHWM) over the whole run, MB"
echo
echo "| nginx (all workers) | modproxy (-Xmx1g) | Athens (without its go children) | goproxy |"
echo "| ---: | ---: | ---: | ---: |"
echo "| $rss_nginx | $rss_modproxy | $rss_athens | $rss_goproxy |"
echo
echo "raw: $(tr '\n' ';' <"$results")"
echo "versions: $(tr '\n' ' ' <"$(dirname "$peers")/versions"), $(java -version 2>&1 | head -1), $("$NGINX" -v 2>&1), $(wrk -v 2>&1 | head -1)"
