#!/usr/bin/env bash
# Options against memstream's defaults, the same jar, alternating, ROUNDS times (default 2): JVM
# options added to the launcher's JVM and/or arguments added to `bench e2e`, on two end-to-end runs:
# warm (256 streams x 96 chunks published ahead into a processor warmed for 30 s, batch.max.size=32)
# and per record (256 x 48, batch.max.size=1), where the stream thread's share is largest. Results in
# bench/results/NAME (or $BENCH_OUT/NAME) as warm_default_N.json, warm_LABEL_N.json,
# batch1_default_N.json and batch1_LABEL_N.json; compare them with
#   python3 bench/ab_table.py DIR warm ; python3 bench/ab_table.py DIR batch1
# Usage: bench/ab-options.sh NAME LABEL "JVM OPTIONS" "E2E ARGUMENTS" [ROUNDS]   (about 5 minutes a round)
#   e.g. bench/ab-options.sh parallel-gc parallelgc "-XX:+UseParallelGC" "" 2
#        bench/ab-options.sh broker-jvm brokerjvm "" "--broker-jvm" 3
#        bench/ab-setting.sh NAME KEY VALUE [ROUNDS] (a -D setting, labelled by its value)
source "$(dirname "$0")/lib.sh"
name="$1" label="$2" jvm_opts="$3" e2e_args="$4" rounds="${5:-2}"
out="$(bench_out "$name")"
read -r -a jvm_extra <<<"$jvm_opts"
read -r -a e2e_extra <<<"$e2e_args"
warm=(e2e --engine-s 2 --streams 256 --chunks 96 --ahead-warmup-s 30 -D batch.max.size=32)
batch1=(e2e --engine-s 2 --streams 256 --chunks 48 -D batch.max.size=1)
for round in $(seq 1 "$rounds"); do
  for side in default "$label"; do
    jvm=("${memstream_jvm[@]}") args=()
    if [ "$side" != default ]; then
      jvm+=("${jvm_extra[@]}")
      args=("${e2e_extra[@]}")
    fi
    java=("${jvm[@]}" "${memstream_jar[@]}" bench --model "$bench_model" --threads "$bench_threads")
    "${java[@]}" "${warm[@]}" "${args[@]}" --out "$out/warm_${side}_$round.json"
    "${java[@]}" "${batch1[@]}" "${args[@]}" --out "$out/batch1_${side}_$round.json"
  done
done
echo "bench: '$label' (JVM: '$jvm_opts'; e2e: '$e2e_args') against the defaults in $out" >&2
