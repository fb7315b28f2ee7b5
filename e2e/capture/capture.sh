#!/usr/bin/env bash
# Captures real module graphs once per machine, with the ordinary go command, for the proxy's
# end-to-end tests: `go mod download all` of graph/ (a Kubernetes-sized build list, gopkg.in .vN
# paths, +incompatible majors, /vN majors, nested modules, pseudo-versions, a 69 MB zip) and the
# toolchain golang.org/toolchain@v0.0.1-go$TOOLCHAIN.linux-amd64, from the Go module proxy and
# verified against sum.golang.org (the go command's defaults).
#
# The go command's $GOMODCACHE/cache/download is then a GOPROXY tree that also holds every
# checksum database lookup and tile the go command used (sumdb/sum.golang.org/...), and
# $GOPATH/pkg/sumdb holds the newest signed tree head it saw. The tests replay both from loopback.
#
# Cached per machine outside the repo, keyed by the inputs (graph/, the go version, $format):
#   ${MODPROXY_CAPTURE_CACHE:-~/.cache/modproxy-capture}/<key>/
#     proxy/        the GOPROXY tree (cache/download)
#     sumdb/        the go command's $GOPATH/pkg/sumdb (sum.golang.org/latest)
#     go.sum        what the go command wrote for graph/, starting from no go.sum
#     modules.txt   `go list -m all` of graph/
#     toolchain     the toolchain's Go version (go1.27.3)
# Prints that directory as its last line (and writes it to FILE with --dir-file FILE). Needs the
# Go module proxy and sum.golang.org once per machine: about 2 minutes, 210 MB.
set -euo pipefail

dir_file=""
if [ "${1:-}" = "--dir-file" ]; then
  dir_file="$2"
fi

here="$(cd "$(dirname "$0")" && pwd)"
toolchain="go1.27.3"
# Bump when a change to this script changes what a capture holds (part of the cache key).
format=1
go_bin="${MODPROXY_TEST_GO:-$(command -v go)}"
go_version="$(GOTOOLCHAIN=local "$go_bin" env GOVERSION)"

key="$( { cat "$here/graph/go.mod" "$here/graph/go.sum" "$here/graph/main.go";
          echo "$format $go_version $toolchain"; } | sha256sum | cut -c1-16)"
root="${MODPROXY_CAPTURE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modproxy-capture}"
out="$root/$key"
done_with() {
  if [ -n "$dir_file" ]; then
    mkdir -p "$(dirname "$dir_file")"
    echo "$1" > "$dir_file"
  fi
  echo "$1"
}
if [ -f "$out/complete" ]; then
  done_with "$out"
  exit 0
fi
echo "capture: none yet for these inputs at $out; downloading with the go command" >&2

mkdir -p "$root"
work="$(mktemp -d "$root/.building-XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
start=$(date +%s)

# A go command that sees nothing of this machine's Go settings.
run_go() {
  env -i PATH="$(dirname "$go_bin"):/usr/bin:/bin" HOME="$work/home" GOENV=off \
    GOPATH="$work/gopath" GOMODCACHE="$work/gopath/pkg/mod" GOCACHE="$work/gocache" \
    GOPROXY=https://proxy.golang.org GOSUMDB=sum.golang.org GOFLAGS=-modcacherw \
    GOTOOLCHAIN="${GOTOOLCHAIN_FOR_RUN:-local}" CGO_ENABLED=0 "$go_bin" "$@"
}

mkdir -p "$work/home" "$work/graph"
# No go.sum: every module is then looked up in the checksum database, so the lookups and the
# tiles proving them land in the capture.
cp "$here/graph/go.mod" "$here/graph/main.go" "$work/graph/"
echo "capture: go mod download all of graph/ with $go_version" >&2
(cd "$work/graph" && run_go mod download all)
(cd "$work/graph" && run_go mod tidy && run_go mod verify >&2 && run_go build -o /dev/null .)
if ! diff -u "$here/graph/go.sum" "$work/graph/go.sum" >&2; then
  echo "capture: the go.sum written from the checksum database differs from graph/go.sum" >&2
  exit 1
fi
(cd "$work/graph" && run_go list -m all) > "$work/modules.txt"

echo "capture: toolchain $toolchain" >&2
mkdir -p "$work/outside"
got="$(cd "$work/outside" && GOTOOLCHAIN_FOR_RUN="$toolchain" run_go version)"
case "$got" in
  *"$toolchain "*) ;;
  *) echo "capture: GOTOOLCHAIN=$toolchain go version said: $got" >&2; exit 1 ;;
esac

mkdir -p "$work/result"
mv "$work/gopath/pkg/mod/cache/download" "$work/result/proxy"
mv "$work/gopath/pkg/sumdb" "$work/result/sumdb"
mv "$work/graph/go.sum" "$work/modules.txt" "$work/result/"
echo "$toolchain" > "$work/result/toolchain"
# The go command stores lock files next to the artifacts; a GOPROXY tree has no use for them.
find "$work/result/proxy" -name '*.lock' -delete
echo "$(du -sh "$work/result" | cut -f1) in $(( $(date +%s) - start ))s with $go_version" \
  > "$work/result/complete"
rm -rf "$out"
mv "$work/result" "$out"
echo "capture: $(cat "$out/complete")" >&2
done_with "$out"
