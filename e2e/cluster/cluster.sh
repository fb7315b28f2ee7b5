#!/usr/bin/env bash
# A real Kubernetes control plane on 127.0.0.1, built from Go modules (no container engine):
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and kwok for fake nodes.
#
#   cluster.sh build   build the binaries once per machine (cached, keyed by go.mod/go.sum)
#   cluster.sh bin     print the directory of the cached binaries (builds if missing)
#   cluster.sh crds    print the directory of prometheus-operator's CRDs (copied by build if missing)
#   cluster.sh up      start everything in $MODPROXY_CLUSTER_DIR, wait until ready
#   cluster.sh env     print KUBECONFIG=... for the running cluster
#   cluster.sh down    stop exactly the processes `up` started, by PID
#
# Environment: MODPROXY_CLUSTER_DIR (state dir, default /tmp/modproxy-cluster),
# MODPROXY_CLUSTER_PORT_BASE (default 16443: apiserver = base, etcd client = base+1,
# etcd peer = base+2, controller-manager = base+3, scheduler = base+4, kwok = base+5),
# MODPROXY_E2E_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/modproxy-e2e).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
cache_root=${MODPROXY_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modproxy-e2e}
state=${MODPROXY_CLUSTER_DIR:-/tmp/modproxy-cluster}
port_base=${MODPROXY_CLUSTER_PORT_BASE:-16443}

log() { echo "cluster.sh: $*" >&2; }
die() { log "$*"; exit 1; }

build_key() {
  cat "$here/go.mod" "$here/go.sum" "$here/kwok/go.mod" "$here/kwok/go.sum" \
    "$here/cmd/etcd/main.go" | sha256sum | cut -c1-16
}

bin_dir() { echo "$cache_root/$(build_key)/bin"; }

# prometheus-operator's CRDs have a key of their own, of the module that pins them: moving that pin copies
# them again (seconds) and leaves the binaries, whose cold build is long, where they are.
monitoring_key() {
  cat "$here/monitoring/go.mod" "$here/monitoring/go.sum" | sha256sum | cut -c1-16
}

crds_dir() { echo "$cache_root/$(build_key)/monitoring-crds-$(monitoring_key)"; }

# The version a binary reports on /version and `kubectl version`, as Kubernetes's own
# hack/lib/version.sh sets it.
kube_ldflags() {
  local v=$KUBERNETES_VERSION major minor
  major=${v#v}; major=${major%%.*}
  minor=${v#v*.}; minor=${minor%%.*}
  local flags="-s -w"
  local pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}

binaries_present() {
  local bin=$1 b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
    [ -x "$bin/$b" ] || return 1
  done
}

# kwok's "fast" stages (what kwokctl configures): nodes Ready with a lease heartbeat, pods Running
# and Ready at once, deleted pods gone. The bare binary reads them from --config only, so they are
# kept next to it, from the kwok module it was built from.
copy_kwok_stages() {
  local bin=$1 kwok_dir
  kwok_dir=$(cd "$here/kwok" && go mod download -json sigs.k8s.io/kwok | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -d "$kwok_dir/kustomize/stage" ] || die "kwok's stage definitions not found (module dir: '$kwok_dir')"
  rm -rf "$bin/kwok-stages.tmp"; mkdir -p "$bin/kwok-stages.tmp"
  cp "$kwok_dir/kustomize/stage/node/fast/node-initialize.yaml" \
     "$kwok_dir/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
     "$kwok_dir"/kustomize/stage/pod/fast/pod-*.yaml "$bin/kwok-stages.tmp/"
  chmod -R u+w "$bin/kwok-stages.tmp"
  mv "$bin/kwok-stages.tmp" "$bin/kwok-stages"
}

# The CRDs of the objects modproxy makes for the prometheus-operator (ServiceMonitor, PodMonitor,
# PrometheusRule), as it publishes them in its module; the tests install these instead of schemas of their own.
copy_monitoring_crds() {
  local dir=$1 module_dir name
  module_dir=$(cd "$here/monitoring" && go mod download -json github.com/prometheus-operator/prometheus-operator \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -d "$module_dir/example/prometheus-operator-crd" ] \
    || die "prometheus-operator's CRDs not found (module dir: '$module_dir')"
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  for name in servicemonitors podmonitors prometheusrules; do
    cp "$module_dir/example/prometheus-operator-crd/monitoring.coreos.com_$name.yaml" "$dir.tmp/"
  done
  chmod -R u+w "$dir.tmp"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  log "prometheus-operator's CRDs copied into $dir"
}

use_go() {
  # Go 1.26 as the go.mod files say; Debian's older golang-go cannot switch toolchains by itself
  if [ -x /usr/local/go/bin/go ]; then PATH=/usr/local/go/bin:$PATH; fi
  command -v go >/dev/null || die "the go command (1.26 or newer) is needed to build the control plane"
}

cmd_build() {
  local bin crds; bin=$(bin_dir); crds=$(crds_dir)
  if binaries_present "$bin" && [ -d "$bin/kwok-stages" ] && [ -d "$crds" ]; then
    log "control plane binaries cached in $bin, prometheus-operator's CRDs in $crds"
    return
  fi
  use_go
  [ -d "$crds" ] || copy_monitoring_crds "$crds"
  if binaries_present "$bin"; then
    [ -d "$bin/kwok-stages" ] || copy_kwok_stages "$bin"
    return
  fi
  local work="$cache_root/$(build_key)/build.$$"
  rm -rf "$work"; mkdir -p "$work/bin"
  # A build cache of its own: its size is what a cold build costs, and it goes away after.
  export GOCACHE="$cache_root/go-build" CGO_ENABLED=0
  log "building Kubernetes $KUBERNETES_VERSION, etcd and kwok $KWOK_VERSION into $bin (cold: long)"
  (cd "$here" && go build -trimpath -ldflags "$(kube_ldflags)" -o "$work/bin/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl ./cmd/etcd)
  (cd "$here/kwok" && go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
      -o "$work/bin/" sigs.k8s.io/kwok/cmd/kwok)
  copy_kwok_stages "$work/bin"
  rm -rf "$bin"; mv "$work/bin" "$bin"; rm -rf "$work"
  rm -rf "$GOCACHE"
  log "built into $bin"
}


p_api=$port_base
p_etcd=$((port_base + 1))
p_peer=$((port_base + 2))
p_kcm=$((port_base + 3))
p_sched=$((port_base + 4))
p_kwok=$((port_base + 5))

# openssl req config for one certificate: CN, O (group) and SANs.
issue_cert() { # name cn org sans
  local name=$1 cn=$2 org=$3 sans=$4 pki=$state/pki
  local subj="/CN=$cn"; [ -n "$org" ] && subj="/O=$org/CN=$cn"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -subj "$subj" \
    -out "$pki/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ -n "$sans" ]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$sans"
    else echo "extendedKeyUsage=clientAuth"; fi
  } > "$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 365 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

write_kubeconfig() { # file user
  local file=$1 user=$2 pki=$state/pki
  cat > "$file" <<KC
apiVersion: v1
kind: Config
clusters:
- name: modproxy-e2e
  cluster:
    server: https://127.0.0.1:$p_api
    certificate-authority: $pki/ca.crt
users:
- name: $user
  user:
    client-certificate: $pki/$user.crt
    client-key: $pki/$user.key
contexts:
- name: modproxy-e2e
  context: {cluster: modproxy-e2e, user: $user, namespace: default}
current-context: modproxy-e2e
KC
}

make_pki() {
  local pki=$state/pki
  mkdir -p "$pki"
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -subj "/CN=modproxy-e2e-ca" \
    -days 365 -out "$pki/ca.crt" 2>/dev/null
  issue_cert apiserver kube-apiserver "" \
    "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  issue_cert admin admin system:masters ""
  issue_cert controller-manager system:kube-controller-manager "" ""
  issue_cert scheduler system:kube-scheduler "" ""
  issue_cert kwok kwok system:masters ""
  issue_cert kwok-serving kwok "" "IP:127.0.0.1,DNS:localhost"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  write_kubeconfig "$state/admin.kubeconfig" admin
  write_kubeconfig "$state/controller-manager.kubeconfig" controller-manager
  write_kubeconfig "$state/scheduler.kubeconfig" scheduler
  write_kubeconfig "$state/kwok.kubeconfig" kwok
}

start() { # name binary args...
  local name=$1; shift
  "$@" > "$state/logs/$name.log" 2>&1 &
  echo $! > "$state/pids/$name.pid"
}

wait_for() { # what seconds command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" > /dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      log "timed out after ${seconds}s waiting for $what; logs in $state/logs"
      return 1
    fi
    sleep 0.5
  done
}

running() { # name
  local pid_file=$state/pids/$1.pid
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

kubectl_admin() { "$bin/kubectl" --kubeconfig "$state/admin.kubeconfig" "$@"; }

cmd_up() {
  bin=$(bin_dir)
  [ -x "$bin/kube-apiserver" ] || cmd_build
  if running kube-apiserver; then
    log "already up in $state"; cmd_env; return
  fi
  rm -rf "$state"; mkdir -p "$state/logs" "$state/pids" "$state/etcd"
  make_pki
  local pki=$state/pki

  start etcd "$bin/etcd" --name e2e --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$p_etcd" --advertise-client-urls "http://127.0.0.1:$p_etcd" \
    --listen-peer-urls "http://127.0.0.1:$p_peer" --initial-advertise-peer-urls "http://127.0.0.1:$p_peer" \
    --initial-cluster "e2e=http://127.0.0.1:$p_peer" --unsafe-no-fsync --log-level warn
  wait_for etcd 60 curl -fsS "http://127.0.0.1:$p_etcd/health" || { cmd_down; exit 1; }

  start kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$p_etcd" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$p_api" \
    --endpoint-reconciler-type none \
    --cert-dir "$state/apiserver" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,DefaultTolerationSeconds,NodeRestriction,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,ResourceQuota,OwnerReferencesPermissionEnforcement \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16 \
    --allow-privileged=true --profiling=false
  wait_for "kube-apiserver /readyz" 120 kubectl_admin get --raw /readyz || { cmd_down; exit 1; }

  start kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$state/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$p_kcm" --cert-dir "$state/controller-manager" \
    --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --controllers '*' --profiling=false
  start kube-scheduler "$bin/kube-scheduler" \
    --kubeconfig "$state/scheduler.kubeconfig" \
    --authentication-kubeconfig "$state/scheduler.kubeconfig" \
    --authorization-kubeconfig "$state/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$p_sched" --leader-elect=false --profiling=false

  # kwok: every Node is fake and managed; the stages make nodes Ready and pods Running/Ready.
  local stage first=1
  : > "$state/kwok.yaml"
  for stage in "$bin"/kwok-stages/*.yaml; do
    [ $first = 1 ] || echo "---" >> "$state/kwok.yaml"; first=0
    cat "$stage" >> "$state/kwok.yaml"
  done
  start kwok "$bin/kwok" --kubeconfig "$state/kwok.kubeconfig" --config "$state/kwok.yaml" \
    --manage-all-nodes=true --node-ip 127.0.0.1 --node-port "$p_kwok" \
    --tls-cert-file "$pki/kwok-serving.crt" --tls-private-key-file "$pki/kwok-serving.key" \
    --server-address "127.0.0.1:$p_kwok" --node-lease-duration-seconds 40 \
    --cidr 10.244.0.0/16

  kubectl_admin apply -f - > /dev/null <<'YAML'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-1
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: kwok-node-1, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
---
# No volume provisioner runs here: a default StorageClass backed by a pool of pre-made volumes
# that the persistent volume controller binds claims to.
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: kwok-local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
allowVolumeExpansion: true
YAML
  # A deleted claim leaves its volume Released (Retain: nothing here could wipe it), never bound again:
  # one test run of e2e/ and the operator's tests takes about 35, and a cluster may see a few runs.
  local i
  for i in $(seq 0 199); do
    cat <<YAML
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: kwok-pv-$i}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: kwok-local
  hostPath: {path: /tmp/kwok-pv-$i}
YAML
  done | kubectl_admin apply -f - > /dev/null
  wait_for "a Ready node" 120 kubectl_admin wait --for=condition=Ready node/kwok-node-0 --timeout=2s \
    || { cmd_down; exit 1; }
  wait_for "the default ServiceAccount" 120 kubectl_admin get serviceaccount default -n default \
    || { cmd_down; exit 1; }
  log "up: $("$bin/kubectl" version --kubeconfig "$state/admin.kubeconfig" 2>/dev/null | tail -1), state in $state"
  cmd_env
}

cmd_env() {
  echo "KUBECONFIG=$state/admin.kubeconfig"
  echo "MODPROXY_CLUSTER_BIN=$(bin_dir)"
}

cmd_down() {
  local name pid
  # reverse start order: nothing reconnects to what is already gone
  for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    [ -f "$state/pids/$name.pid" ] || continue
    pid=$(cat "$state/pids/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      local deadline=$((SECONDS + 15))
      while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$state/pids/$name.pid"
  done
  log "down ($state)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  build) cmd_build ;;
  bin) cmd_build; bin_dir ;;
  crds) cmd_build; crds_dir ;;
  *) echo "usage: $0 build|bin|crds|up|down|env" >&2; exit 2 ;;
esac
