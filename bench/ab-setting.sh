#!/usr/bin/env bash
# One setting against memstream's default for it, the same jar, alternating, ROUNDS times (default 3):
# the warm batched run (256 streams x 96 chunks published ahead into a processor warmed for 30 s,
# batch.max.size=32) and the per-record run (256 x 48, batch.max.size=1), where the stream thread's
# share is largest. Results in bench/results/NAME (or $BENCH_OUT/NAME) as warm_default_N.json,
# warm_VALUE_N.json, batch1_default_N.json and batch1_VALUE_N.json; compare them with
#   python3 bench/ab_table.py DIR warm ; python3 bench/ab_table.py DIR batch1
# Usage: bench/ab-setting.sh NAME KEY VALUE [ROUNDS]    (about 5 minutes a round; needs the jar)
#   e.g. bench/ab-setting.sh memory-cache memory.cache.max.bytes 0 3
source "$(dirname "$0")/lib.sh"
name="$1" key="$2" value="$3" rounds="${4:-3}"
out="$(bench_out "$name")"
java=("${memstream_bench[@]}" --threads "$bench_threads")
warm=(e2e --engine-s 2 --streams 256 --chunks 96 --ahead-warmup-s 30 -D batch.max.size=32)
batch1=(e2e --engine-s 2 --streams 256 --chunks 48 -D batch.max.size=1)
for round in $(seq 1 "$rounds"); do
  for side in default "$value"; do
    setting=()
    if [ "$side" != default ]; then
      setting=(-D "$key=$value")
    fi
    "${java[@]}" "${warm[@]}" "${setting[@]}" --out "$out/warm_${side}_$round.json"
    "${java[@]}" "${batch1[@]}" "${setting[@]}" --out "$out/batch1_${side}_$round.json"
  done
done
echo "bench: $key=$value against the default in $out" >&2
