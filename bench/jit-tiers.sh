#!/usr/bin/env bash
# The JIT compilers against the model for the same 2 cores: the default end-to-end run (256 streams,
# batch.max.size=32, published ahead) cold and after 90 s of warm-up, with HotSpot's full tiered
# compilation (C1 then C2) and with C1 alone (-XX:TieredStopAtLevel=1), alternating. Each result's
# "cpu" says what the compiler threads took ("unlisted_known_native_cores.jit"). Results in
# bench/results/jit/*.json; bench/report.py prints them. JAVA_OPTS is not used here: the runs set the
# tier themselves. Usage: bench/jit-tiers.sh   (about 9 minutes; needs the jar, see bench/run-all.sh)
#        bench/jit-tiers.sh engine   (only the engine's generation paths, where Java runs per token:
#                                     both tiers, spinning off and on, twice; about 6 minutes)
#        bench/jit-tiers.sh warm [ROUNDS] [WARMUP_S]   (the default run after WARMUP_S (120) of
#                                     warm-up, C1 alone then both tiers, alternating, ROUNDS (2) times:
#                                     what a long-running processor gets from C2 once it has compiled;
#                                     about 3 minutes a run)
source "$(dirname "$0")/lib.sh"
out="$(bench_out jit)"
bench=("${memstream_jar[@]}" bench --model "$bench_model" --threads 2)
# TieredStopAtLevel 4 is both tiers (C2), 1 the first alone (C1).
tier_name() { [ "$1" = 4 ] && echo c2 || echo c1; }
e2e=(e2e --streams 256 --chunk-bytes 63 --partitions 2 --stream-threads 1 -D batch.max.size=32)
if [ "${1:-}" = engine ]; then
  for round in 1 2; do
    for spinning in false true; do
      for tier in 4 1; do
        name=$(tier_name "$tier")
        java -XX:TieredStopAtLevel="$tier" "${bench[@]}" engine --step-batches 1,32 --decode-batches 1,8 \
            --new-tokens 64 --generation-streams 32 --warmup-s 1 --measure-s 3 --min-reps 10 \
            --ort-spinning "$spinning" --out "$out/engine_spinning_${spinning}_${name}_$round.json"
      done
    done
  done
  exit 0
fi
if [ "${1:-}" = warm ]; then
  rounds="${2:-2}" warmup="${3:-120}"
  for round in $(seq 1 "$rounds"); do
    for tier in 1 4; do
      name=$(tier_name "$tier")
      java -XX:TieredStopAtLevel="$tier" "${bench[@]}" "${e2e[@]}" --chunks 96 --engine-s 2 --ahead-warmup-s "$warmup" \
          --out "$out/warm${warmup}_${name}_$round.json"
    done
  done
  exit 0
fi
for tier in 4 1; do
  name=$(tier_name "$tier")
  java -XX:TieredStopAtLevel="$tier" "${bench[@]}" "${e2e[@]}" --chunks 48 --engine-s 2 --out "$out/cold_$name.json"
done
for tier in 4 1; do
  name=$(tier_name "$tier")
  java -XX:TieredStopAtLevel="$tier" "${bench[@]}" "${e2e[@]}" --chunks 96 --engine-s 3 --ahead-warmup-s 90 \
      --out "$out/warm90_$name.json"
done
echo "bench: JIT tier results in $out" >&2
