#!/usr/bin/env bash
# Builds the control-plane binaries the end-to-end tests run (etcd, kube-apiserver,
# kube-controller-manager) from the versions pinned in go.mod, using only Go and the Go
# module proxy. The first build takes minutes, so the binaries are cached per pinned
# version and go.mod/go.sum/build.sh contents; later calls only check the cache.
#
# Prints the directory holding the binaries on stdout; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

# Read versions straight from go.mod: `go list -m` would need the module graph, which on a
# fresh machine means network round trips just to find out the cache is warm. Only
# require lines carry a version (the tool block lists bare package paths).
module_version() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' go.mod; }
k8s_version="$(module_version k8s.io/kubernetes)"
etcd_version="$(module_version go.etcd.io/etcd/server/v3)"
: "${k8s_version:?k8s.io/kubernetes not required in go.mod}" "${etcd_version:?go.etcd.io/etcd/server/v3 not required in go.mod}"
# This script is hashed too: a change to how the binaries are built must not reuse old ones.
recipe_hash="$(cat go.mod go.sum build.sh | sha256sum | cut -c1-12)"

root="${LOGWARD_CACHE:-$HOME/.cache/logward}/controlplane"
key="$k8s_version-$etcd_version-$recipe_hash"
bin="$root/$key/bin"
binaries=(etcd kube-apiserver kube-controller-manager)

complete() {
  local name
  for name in "${binaries[@]}"; do [ -x "$bin/$name" ] || return 1; done
}

if complete; then
  echo "$bin"
  exit 0
fi

# Concurrent test runs would otherwise each spend minutes building the same thing.
mkdir -p "$root"
exec 9>"$root/.lock"
flock 9
if complete; then
  echo "$bin"
  exit 0
fi

# Build into a scratch directory and rename it into place, so an interrupted build never
# leaves a cache entry that looks complete.
scratch="$(mktemp -d "$root/.build.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
chmod 755 "$scratch"
mkdir "$scratch/bin"

# Static, path-independent binaries without debug info: smaller and quicker to link.
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath"

# A plain `go build` reports version v0.0.0-master; the release build stamps these instead,
# and tests read the server version.
minor="${k8s_version#v1.}"
minor="${minor%%.*}"
stamp=k8s.io/component-base/version
k8s_ldflags="-X $stamp.gitVersion=$k8s_version -X $stamp.gitMajor=1 -X $stamp.gitMinor=$minor"
k8s_ldflags+=" -X $stamp.gitTreeState=clean"

build() {
  local name="$1" pkg="$2" version="$3" ldflags="${4:-}" start=$SECONDS
  echo "controlplane: building $name ($pkg@$version)" >&2
  go build -ldflags="-s -w $ldflags" -o "$scratch/bin/$name" "$pkg"
  echo "controlplane: built $name in $((SECONDS - start))s" >&2
}

total=$SECONDS
echo "controlplane: building into $root/$key with $(go version)" >&2
build etcd go.etcd.io/etcd/server/v3 "$etcd_version"
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$k8s_version" "$k8s_ldflags"
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_version" "$k8s_ldflags"

rm -rf "${root:?}/$key"
mv "$scratch" "$root/$key"
echo "controlplane: all binaries built in $((SECONDS - total))s" >&2
echo "$bin"
