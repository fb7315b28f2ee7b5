#!/usr/bin/env bash
# The operator's memory in its container limit: the operator jar against a real control plane
# (e2e/cluster/cluster.sh) with N GoProxyCaches and a burst of M pods through its mutating webhook,
# once per set of JVM options, all in one run so that the sets compare. The operator's PSS and RSS
# (/proc/PID/smaps_rollup) are sampled every second; the heap's figures come from jcmd GC.heap_info, the
# number of collections from -Xlog:gc.
#
# Usage: bench/operator-memory.sh [caches=100] [pods=200] [JVM options ...]
#   each further argument is one set of JVM options (quoted); default: the image's (JAVA_TOOL_OPTIONS of
#   operator/Dockerfile, -Djava.io.tmpdir left out) and -XX:+UseZGC -XX:MaxRAMPercentage=50 (the image's
#   before docs/benchmarks.md's "The operator's memory with 100 caches"). -XX:MaxRAM=$LIMIT is appended to
#   every set: the container limit, emulated.
# Env: LIMIT (default 512m, the chart's operator limit), ROUNDS (default 1: the sets taking turns ROUNDS
#   times), IDLE (seconds after Ready before the caches, default 20), SETTLE (seconds after the last cache is
#   Ready, default 30), AFTER (seconds sampled after the burst, default 20), PARALLEL (kubectl clients creating
#   the burst's pods at once, default 8), BUILD=0 (reuse operator/target/quarkus-app as it is),
#   MODPROXY_CLUSTER_PORT_BASE (default: six free ports from a random base in 20000-50000, never cluster.sh's
#   16443, which CI may be using), KEEP_SAMPLES=PREFIX (each run's samples, "second phase PSS RSS" a line,
#   copied to PREFIX-<run>.txt; they go with the script's work directory otherwise).
# Needs: jq, curl, openssl, jcmd; the control plane binaries (e2e/cluster/cluster.sh build).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

caches=${1:-100}
pods=${2:-200}
shift $(($# < 2 ? $# : 2))
limit=${LIMIT:-512m}
image_opts=$(sed -n 's/.*JAVA_TOOL_OPTIONS="\([^"]*\)".*/\1/p' operator/Dockerfile | sed 's/ *-Djava.io.tmpdir=[^ ]*//')
if [ $# -gt 0 ]; then sets=("$@"); else sets=("$image_opts" "-XX:+UseZGC -XX:MaxRAMPercentage=50"); fi
rounds=${ROUNDS:-1}
idle=${IDLE:-20}
settle=${SETTLE:-30}
after=${AFTER:-20}
parallel=${PARALLEL:-8}
limit_kb=$(numfmt --from=iec "${limit^^}" | awk '{print $1 / 1024}')

printf 'command:'; printf ' %q' "$0" "$caches" "$pods" "${sets[@]}"; echo
echo "env: LIMIT=$limit ROUNDS=$rounds IDLE=$idle SETTLE=$settle AFTER=$after PARALLEL=$parallel"
echo "image's JVM options (operator/Dockerfile): $image_opts"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc), $(java -version 2>&1 | head -1)"

if [ "${BUILD:-1}" != 0 ]; then
  flock /tmp/modproxy-heavy.lock ./mvnw -B -q -o -pl operator -am package -DskipTests
fi
jar=$PWD/operator/target/quarkus-app/quarkus-run.jar
[ -f "$jar" ] || { echo "no $jar: build it (BUILD=1)" >&2; exit 1; }

bench_work modproxy-opmem
export MODPROXY_CLUSTER_DIR=$work/cluster
operator_pid=""
sampler_pid=""
cleanup() {
  [ -z "$sampler_pid" ] || kill "$sampler_pid" 2>/dev/null || true
  if [ -n "$operator_pid" ] && kill -0 "$operator_pid" 2>/dev/null; then
    kill "$operator_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$operator_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$operator_pid" 2>/dev/null || true
  fi
  e2e/cluster/cluster.sh down 2>/dev/null || true
  bench_cleanup
}
trap cleanup EXIT

ports_free() { # base: true when base..base+5 all refuse connections
  local p
  for p in $(seq "$1" $(($1 + 5))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 1; fi
  done
}
if [ -z "${MODPROXY_CLUSTER_PORT_BASE:-}" ]; then
  while :; do
    base=$((20000 + RANDOM % 30000))
    ports_free "$base" && break
  done
  export MODPROXY_CLUSTER_PORT_BASE=$base
fi
echo "control plane: $MODPROXY_CLUSTER_DIR, ports from $MODPROXY_CLUSTER_PORT_BASE"
e2e/cluster/cluster.sh up > /dev/null
cluster_bin=$(e2e/cluster/cluster.sh bin 2>/dev/null | tail -1)
kubectl() { "$cluster_bin/kubectl" --kubeconfig "$MODPROXY_CLUSTER_DIR/admin.kubeconfig" "$@"; }

# Room for the caches' pods and the burst's (cluster.sh's two nodes take 110 pods each).
for n in 0 1; do
  cat <<YAML
---
apiVersion: v1
kind: Node
metadata:
  name: opmem-node-$n
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: opmem-node-$n, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "64", memory: 512Gi, pods: "500"}
  capacity: {cpu: "64", memory: 512Gi, pods: "500"}
YAML
done | kubectl apply -f - > /dev/null

# As the chart installs it (deploy/modproxy.yaml is its default rendering): CRD, namespace, ServiceAccount,
# RBAC, webhook configuration. The operator runs beside the cluster instead of its Deployment, as in e2e/
# (OperatorProcess, WebhookIT): with the ServiceAccount's token, the webhook registered by URL on 127.0.0.1.
kubectl apply --server-side -f deploy/modproxy.yaml > /dev/null
kubectl wait --for=condition=Established crd/goproxycaches.modproxy.dev --timeout=60s > /dev/null
kubectl -n modproxy-system scale deployment/modproxy-operator --replicas=0 > /dev/null
webhook_port=$(free_port)
kubectl patch mutatingwebhookconfiguration modproxy --type=json -p "[
  {\"op\": \"remove\", \"path\": \"/webhooks/0/clientConfig/service\"},
  {\"op\": \"add\", \"path\": \"/webhooks/0/clientConfig/url\", \"value\": \"https://127.0.0.1:$webhook_port/mutate-pods\"},
  {\"op\": \"remove\", \"path\": \"/webhooks/1/clientConfig/service\"},
  {\"op\": \"add\", \"path\": \"/webhooks/1/clientConfig/url\", \"value\": \"https://127.0.0.1:$webhook_port/mutate-pods\"}]" > /dev/null
token=$(kubectl -n modproxy-system create token modproxy-operator --duration=6h)
kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority}' | xargs cat > "$work/cluster-ca.crt"
api_url=$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')

# The burst's pod: the Tekton TaskRun pod of the webhook's tests (2 init containers, 2 steps: the full
# injection), without its owner and service account, which do not exist here (as WebhookIT makes it).
jq -c '.request.object | del(.metadata.ownerReferences, .metadata.namespace, .spec.serviceAccountName, .spec.serviceAccount)' \
  operator/src/test/resources/admission/tekton-taskrun-pod.json > "$work/pod.json"

# sample FILE: every second, "seconds-since-start phase pss-kB rss-kB" of $operator_pid; the phase is $work/phase.
sample() {
  local out=$1 t0=$SECONDS pss rss
  while kill -0 "$operator_pid" 2>/dev/null; do
    read -r pss rss < <(awk '/^Pss:/ {p = $2} /^Rss:/ {r = $2} END {print p, r}' "/proc/$operator_pid/smaps_rollup" 2>/dev/null) || true
    [ -z "${pss:-}" ] || echo "$((SECONDS - t0)) $(cat "$work/phase") $pss $rss" >> "$out"
    sleep 1
  done
}
# heap LABEL: ZGC's heap (used, capacity) and metaspace (used, committed) from jcmd GC.heap_info, in MB.
heap() {
  jcmd "$operator_pid" GC.heap_info 2>/dev/null | awk -v what="$1" '
    /ZHeap/ {u = $3; c = $5; gsub(/[M,]/, "", u); gsub(/[M,]/, "", c)}
    /garbage-first heap|def new generation|PSYoungGen/ {u = "n/a"; c = "n/a"}
    /Metaspace/ {mu = $3; mc = $5; gsub(/[K,]/, "", mu); gsub(/[K,]/, "", mc)}
    END {printf "%s heap %s/%s MB, metaspace %d/%d MB\n", what, u, c, mu / 1024, mc / 1024}'
}
# phase_stat FILE FN PHASE...: median or max of PSS ($3) and RSS ($4) over the samples of those phases.
phase_stat() {
  local file=$1 fn=$2; shift 2
  local phases=" $* "
  awk -v phases="$phases" '{ if (index(phases, " " $2 " ")) print $3, $4 }' "$file" > "$work/stat"
  [ -s "$work/stat" ] || { echo "- -"; return; }
  if [ "$fn" = max ]; then
    echo "$(cut -d' ' -f1 "$work/stat" | sort -g | tail -1) $(cut -d' ' -f2 "$work/stat" | sort -g | tail -1)"
  else
    echo "$(cut -d' ' -f1 "$work/stat" | median) $(cut -d' ' -f2 "$work/stat" | median)"
  fi
}
metric() { curl -s --max-time 5 "http://127.0.0.1:$http_port/q/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2} END {print s + 0}'; }
ready_count() {
  kubectl -n "$ns" get goproxycaches -o json \
    | jq '[.items[] | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length'
}
pct() { awk -v v="$1" -v l="$limit_kb" 'BEGIN {if (v == "-") print "-"; else printf "%.1f%%", 100 * v / l}'; }

summary=$work/summary.txt
: > "$summary"
run=0
for round in $(seq 1 "$rounds"); do
  for set in "${sets[@]}"; do
    run=$((run + 1))
    opts="$set -XX:MaxRAM=$limit"
    ns=opmem-$run
    samples=$work/samples-$run.txt
    echo
    echo "=== run $run (round $round): java $opts -jar operator/target/quarkus-app/quarkus-run.jar"
    # fresh volumes for this run's claims: a released one is never bound again here
    for i in $(seq 1 "$caches"); do
      printf -- '---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {name: opmem-pv-%s-%s}\nspec:\n  capacity: {storage: 100Gi}\n  accessModes: [ReadWriteOnce, ReadWriteMany]\n  persistentVolumeReclaimPolicy: Retain\n  storageClassName: kwok-local\n  hostPath: {path: /tmp/opmem-pv-%s-%s}\n' "$run" "$i" "$run" "$i"
    done | kubectl apply -f - > /dev/null
    kubectl create namespace "$ns" > /dev/null
    kubectl label namespace "$ns" modproxy.dev/inject=enabled > /dev/null

    http_port=$(free_port)
    mkdir -p "$work/op-$run"
    echo start > "$work/phase"
    # the pod's environment (operator/Dockerfile, the chart's Deployment) as OperatorProcess sets it out of cluster
    # shellcheck disable=SC2086
    env KUBECONFIG="$work/no-kubeconfig" MALLOC_ARENA_MAX=2 HOME="$work/op-$run" HOSTNAME="opmem-$run" \
      QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL="$api_url" QUARKUS_KUBERNETES_CLIENT_TOKEN="$token" \
      QUARKUS_KUBERNETES_CLIENT_CA_CERT_FILE="$work/cluster-ca.crt" QUARKUS_KUBERNETES_CLIENT_NAMESPACE=modproxy-system \
      MODPROXY_OPERATOR_NAMESPACE=modproxy-system QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$http_port" \
      MODPROXY_WEBHOOK_PORT="$webhook_port" MODPROXY_WEBHOOK_EXTRA_NAMES=127.0.0.1 \
      MODPROXY_OPERATOR_PROXY_IMAGE=modproxy/proxy:bench \
      java $opts -Djava.io.tmpdir="$work/op-$run" -Xlog:gc:file="$work/op-$run/gc.log" -jar "$jar" > "$work/op-$run/operator.log" 2>&1 &
    operator_pid=$!
    t_start=$SECONDS
    sample "$samples" &
    sampler_pid=$!
    wait_for "http://127.0.0.1:$http_port/q/health/ready" "operator (log: $work/op-$run/operator.log)"
    ready_after=$((SECONDS - t_start))
    echo idle > "$work/phase"
    sleep "$idle"
    heap_idle=$(heap idle)

    echo reconcile > "$work/phase"
    t0=$SECONDS
    for i in $(seq 1 "$caches"); do
      printf -- '---\napiVersion: modproxy.dev/v1alpha1\nkind: GoProxyCache\nmetadata: {name: cache-%s, namespace: %s}\nspec:\n  upstream: https://proxy.golang.org\n  storage: {size: 1Gi}\n' "$i" "$ns"
    done | kubectl apply -f - > /dev/null
    n=0
    for _ in $(seq 1 600); do
      n=$(ready_count)
      [ "$n" -ge "$caches" ] && break
      sleep 2
    done
    reconcile_s=$((SECONDS - t0))
    [ "$n" -ge "$caches" ] || echo "only $n of $caches caches Ready after ${reconcile_s}s" >&2
    echo steady > "$work/phase"
    sleep "$settle"
    heap_steady=$(heap steady)
    reviews_before=$(metric modproxy_webhook_review_seconds_count)

    echo burst > "$work/phase"
    rm -rf "$work/burst"; mkdir -p "$work/burst"
    for i in $(seq 1 "$pods"); do
      jq -c --arg name "build-$i" --arg cache "cache-$(((i - 1) % caches + 1))" \
        '.metadata.name = $name | .metadata.labels["modproxy.dev/inject"] = $cache' "$work/pod.json" \
        >> "$work/burst/part-$((i % parallel)).json"
    done
    t0=$(date +%s.%N)
    creators=()
    for part in "$work"/burst/part-*.json; do
      kubectl -n "$ns" create -f "$part" > /dev/null &
      creators+=($!)
    done
    wait_ok=0
    for job in "${creators[@]}"; do wait "$job" || wait_ok=1; done
    burst_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    [ $wait_ok = 0 ] || echo "some pods of the burst were not created" >&2
    echo after > "$work/phase"
    sleep "$after"
    heap_after=$(heap after-burst)
    reviews=$(($(metric modproxy_webhook_review_seconds_count | cut -d. -f1) - ${reviews_before%.*}))
    review_max_ms=$(metric modproxy_webhook_review_seconds_max | awk '{printf "%.1f", $1 * 1000}')
    injected=$(kubectl -n "$ns" get pods -l 'modproxy.dev/inject' -o json \
      | jq '[.items[] | select(any(.spec.containers[].env[]?; .name == "GOPROXY"))] | length')

    # CPU seconds the operator used (utime + stime) and its collections, from its start to here
    cpu_s=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$operator_pid/stat")
    gcs=$(grep -c 'Garbage Collection (' "$work/op-$run/gc.log" || true)
    read -r idle_pss idle_rss < <(phase_stat "$samples" median idle)
    read -r steady_pss steady_rss < <(phase_stat "$samples" median steady)
    read -r peak_pss peak_rss < <(phase_stat "$samples" max burst after)
    read -r max_pss max_rss < <(phase_stat "$samples" max start idle reconcile steady burst after)
    {
      echo "run $run (round $round): $opts"
      echo "  Ready after ${ready_after}s; $caches caches Ready after ${reconcile_s}s; $pods pods created in ${burst_s}s" \
        "($reviews reviews, $injected pods with GOPROXY, longest review ${review_max_ms} ms)"
      echo "  PSS kB (of $limit_kb): idle $idle_pss ($(pct "$idle_pss")), steady $steady_pss ($(pct "$steady_pss")), burst peak $peak_pss ($(pct "$peak_pss")), run max $max_pss ($(pct "$max_pss"))"
      echo "  RSS kB: idle $idle_rss, steady $steady_rss, burst peak $peak_rss, run max $max_rss"
      echo "  $heap_idle; $heap_steady; $heap_after"
      echo "  $gcs collections, ${cpu_s}s of CPU from start to the end of the burst's sampling"
    } | tee -a "$summary"

    kill "$operator_pid"
    for _ in $(seq 1 150); do kill -0 "$operator_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$operator_pid" 2>/dev/null || true
    wait "$operator_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    operator_pid=""; sampler_pid=""
    [ -z "${KEEP_SAMPLES:-}" ] || cp "$samples" "$KEEP_SAMPLES-$run.txt"
    # the next run starts on a cluster without this one's objects
    kubectl delete namespace "$ns" --wait=false > /dev/null
    for _ in $(seq 1 180); do kubectl get namespace "$ns" > /dev/null 2>&1 || break; sleep 1; done
  done
done

echo
echo "=== summary ($caches caches, $pods pods, limit $limit = $limit_kb kB)"
cat "$summary"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
