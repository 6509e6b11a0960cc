#!/usr/bin/env bash
# Decode's sessions on one thread (memstream's default with 2 model threads: a step part's threads)
# against the model's two, alternating, twice: the engine alone's decode calls, cached decoding
# against recomputation, and batched generation. Results in bench/results/decode-threads/*.json;
# bench/report.py prints them. Usage: bench/decode-threads.sh   (about 5 minutes; needs the jar)
source "$(dirname "$0")/lib.sh"
out="$(bench_out decode-threads)"
java=("${memstream_bench[@]}" --threads 2)
for round in 1 2; do
  for threads in 2 0; do
    name=$([ "$threads" = 0 ] && echo default || echo two)
    "${java[@]}" engine --step-batches 1 --decode-batches 1,8,32 --new-tokens 64 --generation-streams 32 \
        --warmup-s 1 --measure-s 3 --min-reps 10 --decode-threads "$threads" --out "$out/decode_threads_${name}_$round.json"
  done
done
echo "bench: decode thread results in $out" >&2
