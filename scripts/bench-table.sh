#!/usr/bin/env bash
# The backend-java vs llama.cpp table of docs/benchmarks.md: the full-width 2-layer Mixtral-8x7B
# slice in each weight type, at 1 and 2 threads, java and llamacpp alternated in one bench run
# (java,llamacpp,java,llamacpp), then the machine's read bandwidth. Run it on a quiet machine:
#   scripts/bench-table.sh [OUT]          (TYPES="Q4_0 Q8_0" THREADS="2" to narrow it)
# The synthetic models are written once into ~/.cache/mixtral4j/synthetic (1.7-3.2 GiB each).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/bench-table.txt}
mkdir -p "$(dirname "$out")"
types=${TYPES:-"Q4_0 Q8_0 Q4_K_M IQ4_XS"}
threads=${THREADS:-"1 2"}
{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) load: $(cut -d' ' -f1-3 /proc/loadavg)"
  grep -m1 'model name' /proc/cpuinfo
  for t in $threads; do
    for type in $types; do
      ./mixtral4j bench --synthetic mixtral-8x7b --layers 2 --type "$type" \
        --backends java,llamacpp,java,llamacpp -p 128 -n 64 -r 2 -t "$t" -q
      echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
    done
  done
  ./mixtral4j bench --synthetic mixtral-8x7b --layers 2 --type Q4_0 --backends java,llamacpp \
    -p 0 -n 64 -r 2 -t 2 --bandwidth -q
} 2>&1 | tee "$out"
