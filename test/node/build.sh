#!/usr/bin/env bash
# Builds the node binaries the real-node tests run, from Go modules only:
#   - kubelet, kube-scheduler, kube-proxy and kubectl from k8s.io/kubernetes at the version
#     pinned in go.mod (which must match test/controlplane's: one cluster, one version), and
#     pause, the pod sandbox's program (./pause);
#   - containerd, containerd-shim-runc-v2 and ctr at $containerd_version.
# Each group is cached on its own under ${LOGWARD_CACHE:-$HOME/.cache/logward}/node/, keyed by
# its version and a hash of its recipe, so a containerd bump does not rebuild kubelet. The
# control plane keeps its own cache (test/controlplane/build.sh): changing this file never
# rebuilds kube-apiserver. A cold build takes minutes; later calls only check the cache.
#
# Prints the two directories holding the binaries on stdout, one per line; progress goes to
# stderr.
set -euo pipefail

containerd_version=v2.4.2

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

# Read versions straight from go.mod files, as test/controlplane/build.sh does: `go list -m`
# would need the module graph (network) just to find out the cache is warm.
module_version() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$2"; }
k8s_version="$(module_version k8s.io/kubernetes go.mod)"
controlplane_version="$(module_version k8s.io/kubernetes ../controlplane/go.mod)"
: "${k8s_version:?k8s.io/kubernetes not required in test/node/go.mod}"
if [ "$k8s_version" != "$controlplane_version" ]; then
  echo "node: test/node/go.mod pins k8s.io/kubernetes $k8s_version but test/controlplane/go.mod" \
    "pins $controlplane_version; a kubelet must not be newer than its API server: pin both alike" >&2
  exit 1
fi

root="${LOGWARD_CACHE:-$HOME/.cache/logward}/node"
k8s_key="kubernetes-$k8s_version-$(cat go.mod go.sum pause/main.go build.sh | sha256sum | cut -c1-12)"
containerd_key="containerd-$containerd_version-$(cat build.sh | sha256sum | cut -c1-12)"
k8s_binaries=(kubelet kube-scheduler kube-proxy kubectl pause)
containerd_binaries=(containerd containerd-shim-runc-v2 ctr)

complete() {
  local dir="$1" name
  shift
  for name in "$@"; do [ -x "$dir/$name" ] || return 1; done
}

all_complete() {
  complete "$root/$k8s_key/bin" "${k8s_binaries[@]}" &&
    complete "$root/$containerd_key/bin" "${containerd_binaries[@]}"
}

print_dirs() {
  echo "$root/$k8s_key/bin"
  echo "$root/$containerd_key/bin"
}

if all_complete; then
  print_dirs
  exit 0
fi

# Concurrent test runs would otherwise each spend minutes building the same thing.
mkdir -p "$root"
exec 9>"$root/.lock"
flock 9

# Static, path-independent binaries without debug info: smaller and quicker to link. CGO off
# leaves containerd without btrfs, which the overlayfs snapshotter does not need.
# GOTOOLCHAIN=local fails loudly instead of downloading a toolchain.
export CGO_ENABLED=0 GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath"

# Builds into a scratch directory renamed into place, so an interrupted build never leaves a
# cache entry that looks complete. $1: cache key; the rest: a function that builds into $2.
build_group() {
  local key="$1" recipe="$2" scratch start=$SECONDS
  scratch="$(mktemp -d "$root/.build.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: the trap must remove this scratch directory
  trap "rm -rf '$scratch'" EXIT
  chmod 755 "$scratch"
  mkdir "$scratch/bin"
  echo "node: building $key with $(go version)" >&2
  "$recipe" "$scratch/bin"
  rm -rf "${root:?}/$key"
  mv "$scratch" "$root/$key"
  trap - EXIT
  echo "node: built $key in $((SECONDS - start))s" >&2
}

kubernetes_recipe() {
  local out="$1" minor stamp ldflags name start
  # A plain `go build` reports v0.0.0-master; kubelet registers its version on the Node object
  # (and Logward's webhook reads node kubelet versions), so stamp what a release build stamps.
  minor="${k8s_version#v1.}"
  minor="${minor%%.*}"
  stamp=k8s.io/component-base/version
  ldflags="-X $stamp.gitVersion=$k8s_version -X $stamp.gitMajor=1 -X $stamp.gitMinor=$minor"
  ldflags+=" -X $stamp.gitTreeState=clean"
  for name in kubelet kube-scheduler kube-proxy kubectl; do
    start=$SECONDS
    echo "node: building $name (k8s.io/kubernetes/cmd/$name@$k8s_version)" >&2
    go build -ldflags="-s -w $ldflags" -o "$out/$name" "k8s.io/kubernetes/cmd/$name"
    echo "node: built $name in $((SECONDS - start))s" >&2
  done
  go build -ldflags="-s -w" -o "$out/pause" ./pause
}

containerd_recipe() {
  local out="$1" module=github.com/containerd/containerd/v2 ldflags
  ldflags="-X $module/version.Version=$containerd_version -X $module/version.Package=$module"
  # `go install pkg@version` builds with containerd's own go.mod, whatever module is around.
  (cd "$out" && GOBIN="$out" go install -ldflags="-s -w $ldflags" \
    "$module/cmd/containerd@$containerd_version" \
    "$module/cmd/containerd-shim-runc-v2@$containerd_version" \
    "$module/cmd/ctr@$containerd_version")
}

total=$SECONDS
complete "$root/$containerd_key/bin" "${containerd_binaries[@]}" ||
  build_group "$containerd_key" containerd_recipe
complete "$root/$k8s_key/bin" "${k8s_binaries[@]}" ||
  build_group "$k8s_key" kubernetes_recipe
all_complete || { echo "node: a build finished without all its binaries" >&2; exit 1; }
echo "node: binaries ready in $((SECONDS - total))s" >&2
print_dirs
