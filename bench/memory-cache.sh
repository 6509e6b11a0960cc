#!/usr/bin/env bash
# The memory cache (memory.cache.max.bytes) at its default and off, alternating, ROUNDS times each
# (default 3): the warm batched run (256 streams x 96 chunks published ahead into a processor warmed
# for 30 s, batch.max.size=32) and the per-record run (256 x 48, batch.max.size=1), where the
# stream thread's share is largest. Compare stream_thread_us_per_chunk and the ratio to the engine:
#   python3 bench/ab_table.py DIR warm ; python3 bench/ab_table.py DIR batch1
# Results in bench/results/memory-cache/*.json (or $BENCH_OUT).
# Usage: bench/memory-cache.sh [ROUNDS]    (about 5 minutes a round; needs the jar, see bench/run-all.sh)
source "$(dirname "$0")/lib.sh"
out="$(bench_out memory-cache)"
rounds="${1:-3}"
java=("${memstream_bench[@]}" --threads "$bench_threads")
warm=(e2e --engine-s 2 --streams 256 --chunks 96 --ahead-warmup-s 30 -D batch.max.size=32)
batch1=(e2e --engine-s 2 --streams 256 --chunks 48 -D batch.max.size=1)
for round in $(seq 1 "$rounds"); do
  for cache in default 0; do
    setting=()
    if [ "$cache" = 0 ]; then
      setting=(-D memory.cache.max.bytes=0)
    fi
    "${java[@]}" "${warm[@]}" "${setting[@]}" --out "$out/warm_cache_${cache}_$round.json"
    "${java[@]}" "${batch1[@]}" "${setting[@]}" --out "$out/batch1_cache_${cache}_$round.json"
  done
done
echo "bench: memory cache results in $out" >&2
