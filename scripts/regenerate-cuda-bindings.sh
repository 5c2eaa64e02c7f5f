#!/usr/bin/env bash
# Regenerates the committed jextract bindings of the CUDA driver API used by backend-cuda.
# Needs jextract (on PATH, or $JEXTRACT) and cuda.h ($CUDA_HOME/include, default /usr/local/cuda).
# The output replaces backend-cuda/src/main/java/dev/mixtral4j/backend/cuda/internal/ffi/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jextract="${JEXTRACT:-$(command -v jextract || true)}"
if [[ -z "$jextract" ]]; then
  echo "jextract not found: put it on PATH or set JEXTRACT=/path/to/bin/jextract" >&2
  exit 1
fi
cuda_home="${CUDA_HOME:-/usr/local/cuda}"
header="$cuda_home/include/cuda.h"
[[ -f "$header" ]] || { echo "no $header (set CUDA_HOME)" >&2; exit 1; }
out="$root/backend-cuda/src/main/java"
pkg_dir="$out/dev/mixtral4j/backend/cuda/internal/ffi"
rm -rf "$pkg_dir"
"$jextract" @"$root/backend-cuda/src/main/jextract/cuda.args" -I "$cuda_home/include" --output "$out" "$header"
echo "regenerated $(find "$pkg_dir" -name '*.java' | wc -l) files in $pkg_dir"
