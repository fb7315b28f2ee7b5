#!/usr/bin/env bash
# promtool, Prometheus's rule checker, built from its Go module once per machine, for PrometheusRuleTest
# (`promtool check rules` and `promtool test rules` on the chart's alerts). No container, no download of a
# prebuilt binary: the go command fetches the module and its dependencies through GOPROXY and checks them
# against the checksum database, as for the e2e control plane.
#
#   promtool.sh build   build it (a no-op when cached)
#   promtool.sh bin     print the path of the binary (builds it if missing)
#
# Environment: MODPROXY_PROMTOOL_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/modproxy-promtool).
# Cold: about 5 minutes and 170 modules on a busy 2-core machine; the binary is kept under its version.
set -euo pipefail

# Prometheus v3.16.0 (its Go module numbers v3.x.y as v0.3xx.y)
PROMETHEUS_MODULE_VERSION=v0.316.0

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

case "${1:-}" in
  build) cmd_build ;;
  bin) cmd_build; echo "$bin" ;;
  *) echo "usage: $0 build|bin" >&2; exit 2 ;;
esac
