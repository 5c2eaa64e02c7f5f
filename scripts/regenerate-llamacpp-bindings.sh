#!/usr/bin/env bash
# Regenerates backend-llamacpp's committed FFM bindings from llama.h with jextract.
# jextract: from $JEXTRACT, else `jextract` on PATH (official builds: https://jdk.java.net/jextract).
# Headers: llama.cpp v0.5.0 as fetched by scripts/fetch-llama-cpp.sh (or LLAMACPP_SRC=<source tree>).
# What is generated is chosen in backend-llamacpp/jextract/llama.jextract.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jextract="${JEXTRACT:-$(command -v jextract || true)}"
if [ -z "$jextract" ]; then
  echo "error: jextract not found: put it on PATH or set JEXTRACT" >&2
  exit 1
fi
src="${LLAMACPP_SRC:-$root/.cache/llama.cpp/3.22.1/src}"
header="$src/include/llama.h"
if [ ! -f "$header" ]; then
  echo "error: $header missing: run ./mvnw -B initialize (fetches llama.cpp) or set LLAMACPP_SRC" >&2
  exit 1
fi
module="$root/backend-llamacpp"
out="$module/src/main/java"
pkg_dir="$out/dev/mixtral4j/backend/llamacpp/bindings"
rm -rf "$pkg_dir"
"$jextract" @"$module/jextract/llama.jextract" -I "$src/ggml/include" --output "$out" "$header"
echo "bindings regenerated in $pkg_dir ($(ls "$pkg_dir" | wc -l) files)" >&2
