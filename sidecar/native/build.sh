#!/bin/sh
# Builds logward-extents (extents.c) next to this script, or into $1. Needs a C compiler;
# without one the sidecar still runs and treats long runs of NULs as holes (see extents.ts).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/logward-extents}"
cc="${CC:-cc}"
mkdir -p "$(dirname "$out")"
"$cc" -O2 -Wall -Wextra -o "$out.tmp.$$" "$here/extents.c"
mv "$out.tmp.$$" "$out"
