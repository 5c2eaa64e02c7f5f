#!/usr/bin/env bash
# Builds the CPU emulation of the CUDA driver and execution model (emu.cpp + the real kernel
# sources) as a shared library, for the tests that need a GPU: Maven's "emulated-gpu" test run
# loads it in place of libcuda.so.1. Needs g++ and the CUDA headers (cuda_fp16.h ...); without
# them it says so and exits 0, and those tests are skipped with the reason.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kernels="$here/../../../main/cuda"
out="${1:?usage: build-emulator.sh OUTPUT.so}"
cuda_include=""
for d in "${CUDA_HOME:-/nonexistent}/include" /usr/local/cuda/include; do
  if [[ -f "$d/cuda_fp16.h" ]]; then cuda_include="$d"; break; fi
done
if ! command -v g++ >/dev/null 2>&1 || [[ -z "$cuda_include" ]]; then
  echo "[build-emulator] g++ or the CUDA headers not found: the CUDA emulation is not built; GPU tests stay skipped"
  exit 0
fi
fresh=1
for dep in "$here"/emu.cpp "$here"/emu.h "$kernels"/*.cu "$kernels"/*.cuh "$0"; do
  [[ -f "$out" && "$out" -nt "$dep" ]] || fresh=0
done
if [[ $fresh == 1 ]]; then
  echo "[build-emulator] $out is up to date"
  exit 0
fi
mkdir -p "$(dirname "$out")"
g++ -std=c++17 -O2 -U_FORTIFY_SOURCE -fPIC -shared -fvisibility=hidden -DMIXTRAL4J_EMU -I"$cuda_include" -I"$kernels" \
    -include "$here/emu.h" -x c++ "$here/emu.cpp" -o "$out.tmp"
mv "$out.tmp" "$out"
echo "[build-emulator] built $out"
