#!/usr/bin/env bash
# promtool, Prometheus's rule checker, built from its Go module once per machine, for PrometheusRuleTest
# (`promtool check rules` and `promtool test rules` on the chart's alerts). No container, no download of a
# prebuilt binary: the go command fetches the module and its dependencies through GOPROXY and checks them
# against the checksum database, as for the e2e control plane.
#
#   promtool.sh build   build it and fetch the prometheus-operator module (a no-op when cached)
#   promtool.sh bin     print the path of the binary (builds it if missing)
#   promtool.sh crd     print the path of the prometheus-operator's PrometheusRule CRD, as its Go module ships it
#                       (PrometheusRuleTest checks the chart's rule against its schema; fetched if missing)
#
# Environment: MODPROXY_PROMTOOL_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/modproxy-promtool).
# Cold: about 5 minutes and 170 modules on a busy 2-core machine; the binary is kept under its version.
set -euo pipefail

# Prometheus v3.16.0 (its Go module numbers v3.x.y as v0.3xx.y)
PROMETHEUS_MODULE_VERSION=v0.316.0
# The prometheus-operator whose PrometheusRule CRD the chart's rule is checked against
OPERATOR_MODULE=github.com/prometheus-operator/prometheus-operator@v0.85.0

cache_root=${MODPROXY_PROMTOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modproxy-promtool}
bin="$cache_root/$PROMETHEUS_MODULE_VERSION/promtool"

log() { echo "promtool.sh: $*" >&2; }

cmd_build() {
  if [ -x "$bin" ]; then
    return
  fi
  command -v go >/dev/null 2>&1 || { log "go is not installed: it builds promtool (apt-get install golang-go)"; exit 1; }
  local work="$cache_root/build.$$"
  rm -rf "$work"; mkdir -p "$work/bin" "$(dirname "$bin")"
  # A build cache of its own: its size is what a cold build costs, and it goes away after.
  log "building promtool $PROMETHEUS_MODULE_VERSION into $bin (cold: minutes)"
  GOCACHE="$work/go-build" GOBIN="$work/bin" CGO_ENABLED=0 \
    go install -trimpath -ldflags "-s -w" "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION" >&2
  mv "$work/bin/promtool" "$bin"
  rm -rf "$work"
  log "built $bin"
}

# The module's directory in the go command's module cache (downloaded and checked against the checksum database
# the first time); its CRDs are read from there, not copied into this repository.
cmd_crd() {
  command -v go >/dev/null 2>&1 || { log "go is not installed: it fetches $OPERATOR_MODULE (apt-get install golang-go)"; exit 1; }
  local dir
  dir=$(cd / && GOFLAGS=-mod=mod go mod download -json "$OPERATOR_MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { log "go mod download $OPERATOR_MODULE named no directory"; exit 1; }
  echo "$dir/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"
}

case "${1:-}" in
  build) cmd_build; cmd_crd >/dev/null ;;
  bin) cmd_build; echo "$bin" ;;
  crd) cmd_crd ;;
  *) echo "usage: $0 build|bin|crd" >&2; exit 2 ;;
esac
