#!/usr/bin/env bash
# Fetches llama.cpp v0.5.0 from the npm registry, as DESIGN.md describes, into .cache/llama.cpp/:
#   .cache/llama.cpp/3.22.1/src/        llama.cpp source (git clone of node-llama-cpp's gitRelease.bundle):
#                                       include/llama.h, ggml headers, models/ggml-vocab-*.gguf test vectors
#   .cache/llama.cpp/3.22.1/linux-x64/  prebuilt libllama.v0.5.0.so, libggml*.so (CPU variants)
# Nothing here is committed. Idempotent: a completed fetch leaves a marker and is not repeated.
# Without npm (or offline) it warns and exits 0: what needs these files is then skipped, with the reason.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="3.22.1"
dest="$root/.cache/llama.cpp/$version"
marker="$dest/.complete"
[ -f "$marker" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "warning: npm not found; llama.cpp sources and libraries not fetched (tests that need them will be skipped)" >&2
  exit 0
fi
tmp="$(mktemp -d "$root/.cache/fetch.XXXXXX" 2>/dev/null || { mkdir -p "$root/.cache"; mktemp -d "$root/.cache/fetch.XXXXXX"; })"
trap 'rm -rf "$tmp"' EXIT
echo "Fetching node-llama-cpp@$version and @node-llama-cpp/linux-x64@$version from npm..." >&2
if ! (cd "$tmp" && npm pack --silent "node-llama-cpp@$version" "@node-llama-cpp/linux-x64@$version" >/dev/null 2>npm.err); then
  echo "warning: npm pack failed; llama.cpp not fetched (tests that need it will be skipped):" >&2
  cat "$tmp/npm.err" >&2 || true
  exit 0
fi
mkdir -p "$tmp/out/linux-x64" "$tmp/pkg"
tar xzf "$tmp/node-llama-cpp-$version.tgz" -C "$tmp/pkg"
tar xzf "$tmp/node-llama-cpp-linux-x64-$version.tgz" -C "$tmp/out/linux-x64" --strip-components=3 package/bins/linux-x64
git -c advice.detachedHead=false clone -q "$tmp/pkg/package/llama/gitRelease.bundle" "$tmp/out/src"
rm -rf "$tmp/out/src/.git"
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.partial"
mv "$tmp/out" "$dest.partial"
# A rename is atomic: two concurrent builds never see a half-written folder.
if ! mv -T "$dest.partial" "$dest" 2>/dev/null; then rm -rf "$dest.partial"; fi
touch "$marker"
echo "llama.cpp $version ready in $dest" >&2
