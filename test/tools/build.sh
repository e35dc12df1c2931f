#!/usr/bin/env bash
# Builds a command-line tool the deploy tests need from Go modules, using only Go and the Go
# module proxy: helm and kustomize at pinned versions, and kubecheck (./kubecheck: the API
# server's matchConditions evaluator and a strict decoder into the API types, built from
# k8s.io/apiserver and k8s.io/api). The first build takes minutes, so each tool is cached
# under ${LOGWARD_CACHE:-$HOME/.cache/logward}/tools/<name>-<version>/; later calls only
# check the cache. kubecheck's "version" is a hash of its sources and of this script.
#
# Usage: test/tools/build.sh helm|kustomize|kubecheck
# Prints the path of the binary on stdout; progress goes to stderr.
set -euo pipefail

# Pinned versions. Each must declare a `go` directive the installed Go can build without
# fetching a newer toolchain (kustomize v5.8.3 asks for go 1.27, hence v5.8.2).
helm_version=v3.22.0
kustomize_version=v5.8.2

name="${1:-}"
case "$name" in
  helm)
    version="$helm_version"
    pkg=helm.sh/helm/v3/cmd/helm
    # What helm's Makefile stamps. `helm version` (and .Capabilities.HelmVersion) reads the
    # first; the Kubernetes version is what `helm template` and `helm lint` assume without a
    # cluster (the minor of the k8s.io/client-go helm requires, v0.37 for v3.22); a plain
    # build assumes 1.20 and fails charts that require newer.
    k8s="-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37"
    k8s+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37"
    ldflags="-X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean $k8s"
    ;;
  kustomize)
    version="$kustomize_version"
    pkg=sigs.k8s.io/kustomize/kustomize/v5
    ldflags="-X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$version"
    ;;
  kubecheck)
    source_dir="$(cd "$(dirname "$0")/kubecheck" && pwd)"
    version="$(cat "$source_dir/go.mod" "$source_dir/go.sum" "$source_dir"/*.go "$0" | sha256sum | cut -c1-12)"
    pkg=.
    ldflags=""
    ;;
  *)
    echo "usage: $0 helm|kustomize|kubecheck" >&2
    exit 2
    ;;
esac

root="${LOGWARD_CACHE:-$HOME/.cache/logward}/tools"
dir="$root/$name-$version"
bin="$dir/$name"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

# Concurrent test runs (vitest runs files in parallel) would otherwise each spend minutes
# building the same binary.
mkdir -p "$root"
exec 9>"$root/.$name.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

# Build into a scratch directory and rename it into place, so an interrupted build never
# leaves a cache entry that looks complete.
scratch="$(mktemp -d "$root/.build-$name.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
chmod 755 "$scratch"

# Static, path-independent binaries without debug info: smaller and quicker to link.
# `go install pkg@version` builds in module mode with the tool's own go.mod, ignoring any
# module around the current directory; GOTOOLCHAIN=local fails loudly instead of
# downloading a toolchain if a pinned version ever needs a newer Go.
export CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN="$scratch"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath"

start=$SECONDS
if [ "$pkg" = . ]; then
  # A module of ours: build it where it is, from its go.mod and go.sum.
  echo "tools: building $name ($source_dir) with $(go version)" >&2
  (cd "$source_dir" && go build -ldflags="-s -w" -o "$scratch/$name" .)
else
  echo "tools: building $name ($pkg@$version) with $(go version)" >&2
  (cd "$scratch" && go install -ldflags="-s -w $ldflags" "$pkg@$version")
fi
[ -x "$scratch/$name" ] || { echo "tools: go install produced no $name binary" >&2; exit 1; }

rm -rf "${dir:?}"
mv "$scratch" "$dir"
echo "tools: built $name $version in $((SECONDS - start))s into $dir" >&2
echo "$bin"
