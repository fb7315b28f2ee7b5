#!/usr/bin/env bash
# Builds the peers bench/peers.sh compares modproxy with, from Go modules with the ordinary go
# command, once per machine (not part of the test run):
#   Athens  github.com/gomods/athens/cmd/proxy     v0.18.0  (wrapper module bench/peers/athens)
#   goproxy github.com/goproxy/goproxy/cmd/goproxy v0.26.1  (wrapper module bench/peers/goproxy)
# Wrapper modules, not `go install pkg@version`: the Go module proxy answers 403 to both modules'
# version lists, and go install reads that list (for deprecations) and gives up. Neither module
# has replace directives, so the wrappers build what their own go.mod files select.
# Cached in ${MODPROXY_PEERS_CACHE:-~/.cache/modproxy-peers}/<key>/bin/{athens,goproxy} (their
# modules in .../gomodcache); prints that bin directory as its last line. `build.sh -n` only
# downloads the modules (no compiling: no lock needed). Big Go builds: run under the heavy lock,
#   flock /tmp/modproxy-heavy.lock nice -n 10 bench/peers/build.sh
set -euo pipefail
dry_run=""
[ "${1:-}" = "-n" ] && dry_run="-n"

here="$(cd "$(dirname "$0")" && pwd)"
go_bin="$(command -v go)"
go_version="$(GOTOOLCHAIN=local "$go_bin" env GOVERSION)"
key="$(cat "$here/athens/go.mod" "$here/athens/go.sum" "$here/goproxy/go.mod" "$here/goproxy/go.sum" \
  <(echo "$go_version") | sha256sum | cut -c1-16)"
root="${MODPROXY_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modproxy-peers}"
out="$root/$key"
if [ -x "$out/bin/athens" ] && [ -x "$out/bin/goproxy" ]; then
  echo "$out/bin"
  exit 0
fi

mkdir -p "$root"
work="$(mktemp -d "$root/.building-XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
build() { # wrapper package binary-name
  (cd "$here/$1" && env -i PATH="$(dirname "$go_bin"):/usr/bin:/bin" HOME="$work/home" GOENV=off \
    GOTOOLCHAIN=local GOPATH="$work/gopath" GOMODCACHE="$root/gomodcache" GOCACHE="$work/gocache" \
    GOFLAGS="-modcacherw -mod=readonly" CGO_ENABLED=0 \
    "$go_bin" build $dry_run -trimpath -o "$work/result/bin/$3" "$2" >/dev/null)
}
mkdir -p "$work/result/bin"
start=$(date +%s)
build athens github.com/gomods/athens/cmd/proxy athens
build goproxy github.com/goproxy/goproxy/cmd/goproxy goproxy
[ -n "$dry_run" ] && exit 0
printf 'Athens github.com/gomods/athens v0.18.0, goproxy github.com/goproxy/goproxy v0.26.1, built with %s in %ss\n' \
  "$go_version" "$(( $(date +%s) - start ))" > "$work/result/versions"
rm -rf "$out"
mv "$work/result" "$out"
cat "$out/versions" >&2
echo "$out/bin"
