#!/usr/bin/env bash
# JVM options against the launcher's JVM, the same jar, alternating, ROUNDS times (default 2): the same
# two end-to-end runs as bench/ab-setting.sh (warm 256x96 at batch.max.size=32, and 256x48 at
# batch.max.size=1). Results in bench/results/NAME (or $BENCH_OUT/NAME) as warm_default_N.json,
# warm_opts_N.json, batch1_default_N.json and batch1_opts_N.json; compare them with
#   python3 bench/ab_table.py DIR warm ; python3 bench/ab_table.py DIR batch1
# Usage: bench/ab-jvm.sh NAME "JVM OPTIONS" [ROUNDS]    (about 5 minutes a round; needs the jar)
#   e.g. bench/ab-jvm.sh parallel-gc "-XX:+UseParallelGC" 2
source "$(dirname "$0")/lib.sh"
name="$1" opts="$2" rounds="${3:-2}"
out="$(bench_out "$name")"
read -r -a extra <<<"$opts"
warm=(e2e --engine-s 2 --streams 256 --chunks 96 --ahead-warmup-s 30 -D batch.max.size=32)
batch1=(e2e --engine-s 2 --streams 256 --chunks 48 -D batch.max.size=1)
for round in $(seq 1 "$rounds"); do
  for side in default opts; do
    jvm=("${memstream_jvm[@]}")
    if [ "$side" = opts ]; then
      jvm+=("${extra[@]}")
    fi
    java=("${jvm[@]}" -Dmemstream.source.rev="$bench_rev" -jar stream-app/target/memstream.jar
      bench --model "$bench_model" --threads "$bench_threads")
    "${java[@]}" "${warm[@]}" --out "$out/warm_${side}_$round.json"
    "${java[@]}" "${batch1[@]}" --out "$out/batch1_${side}_$round.json"
  done
done
echo "bench: JVM options '$opts' against the launcher's in $out" >&2
