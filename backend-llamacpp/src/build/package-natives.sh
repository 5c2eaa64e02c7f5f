#!/usr/bin/env bash
# Copies the llama.cpp libraries fetched by scripts/fetch-llama-cpp.sh into the jar's resources,
# under native/llama.cpp/<version>/<platform>/ with an index.txt (sha256, size, name per line)
# that the backend reads to extract them at run time. Without the fetched folder (no npm) it
# packages nothing and the backend reports "native libraries not packaged in this build".
set -euo pipefail
src_root="$1"      # ${mixtral4j.llamacpp.dir}
out_root="$2"      # target/classes/native/llama.cpp/<version>
rm -rf "$out_root"
packaged=""
for platform in linux-x64; do
  src="$src_root/$platform"
  [ -d "$src" ] || continue
  # the engine: ggml-base, ggml, llama, and every ggml backend plugin (CPU variants, GPU if any);
  # node-llama-cpp's own addon and its libllama-common are not needed
  libs=$(cd "$src" && ls libggml*.so libllama.*so 2>/dev/null | sort || true)
  [ -n "$libs" ] || continue
  mkdir -p "$out_root/$platform"
  : > "$out_root/$platform/index.txt.tmp"
  for f in $libs; do
    cp "$src/$f" "$out_root/$platform/$f"
    echo "$(sha256sum "$src/$f" | cut -d' ' -f1) $(stat -c %s "$src/$f") $f" >> "$out_root/$platform/index.txt.tmp"
  done
  mv "$out_root/$platform/index.txt.tmp" "$out_root/$platform/index.txt"
  packaged="$packaged$platform"$'\n'
done
if [ -n "$packaged" ]; then
  printf '%s' "$packaged" > "$out_root/platforms.txt"
else
  echo "warning: no llama.cpp libraries under $src_root: backend-llamacpp is packaged without natives" >&2
fi
