#!/usr/bin/env bash
# Writes the replace directives this module needs: k8s.io/kubernetes requires its staging
# modules (k8s.io/api, client-go, apiserver, ...) at v0.0.0 and replaces them with ./staging
# paths that only exist in its own repository. Outside it, each must point at the published
# v0.Y.Z of the same release. The list is read from k8s.io/kubernetes's own go.mod, so a
# version bump is: edit KUBERNETES_VERSION in versions.env, run this, go mod tidy.
set -euo pipefail
cd "$(dirname "$0")"
. ./versions.env

k8s_mod=$(go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
[ -f "$k8s_mod" ] || { echo "could not download k8s.io/kubernetes@${KUBERNETES_VERSION}" >&2; exit 1; }

staging_version="v0.${KUBERNETES_VERSION#v1.}"   # v1.36.3 -> v0.36.3

# The staging modules: required at v0.0.0 and replaced with a ./staging path.
required=$(awk '$2 == "v0.0.0" {print $1}' "$k8s_mod" | sort -u)
in_staging=$(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$k8s_mod" | sort -u)
staging=$(comm -12 <(echo "$required") <(echo "$in_staging"))
[ -n "$staging" ] || { echo "no staging replaces found in $k8s_mod" >&2; exit 1; }

# Nothing to do when go.mod already replaces exactly these (keeps the file, and the build cache key
# that hashes it, unchanged).
current=$(go mod edit -json | tr -d ' \t\n' | grep -o '"Old":{"Path":"k8s\.io/[^"]*"},"New":{"Path":"[^"]*","Version":"[^"]*"}' \
  | sed 's/"Old":{"Path":"\([^"]*\)"},"New":{"Path":"[^"]*","Version":"\([^"]*\)"}/\1@\2/' | sort)
wanted=$(for module in $staging; do echo "${module}@${staging_version}"; done | sort)
if [ "$current" = "$wanted" ] && grep -q "k8s.io/kubernetes ${KUBERNETES_VERSION}\b" go.mod; then
  echo "go.mod already replaces the $(echo "$staging" | wc -l) staging modules with ${staging_version}" >&2
  exit 0
fi

# Drop the replaces of an earlier run, then add one per staging module.
for old in $(go mod edit -json | sed -n 's/.*"Path": "\(k8s\.io\/[^"]*\)".*/\1/p' | sort -u); do
  go mod edit -dropreplace="$old" 2>/dev/null || true
done
for module in $staging; do
  go mod edit -replace="${module}=${module}@${staging_version}"
done
go mod edit -require="k8s.io/kubernetes@${KUBERNETES_VERSION}"
echo "replaced $(echo "$staging" | wc -l) staging modules with ${staging_version}" >&2
