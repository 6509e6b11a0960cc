#!/usr/bin/env bash
# model.step.piece.rows: a step's rows cut into pieces that the model's threads take as they come
# free, against one fixed piece per thread (0). First the engine alone (`memstream bench pieces`: a
# runtime per setting in one JVM, their calls in turns) on 2 and on 1 model threads; then the
# default end-to-end run warm (256 streams x 96 chunks after 30 s of warm-up streams,
# batch.max.size=32), where the stream thread, the broker and Kafka's clients preempt the model's
# threads, with 0 and 8 alternating, twice. Results in bench/results/step-pieces/*.json.
# Usage: bench/step-pieces.sh [engine]     (about 10 minutes; needs the jar, see bench/run-all.sh)
source "$(dirname "$0")/lib.sh"
out="$(bench_out step-pieces)"
java=("${memstream_bench[@]}")
for threads in 2 1; do
  "${java[@]}" --threads "$threads" pieces --rows 0,8,4,2 --batches 8,32,128 --out "$out/engine_threads$threads.json"
done
if [ "${1:-}" = engine ]; then exit 0; fi
for round in 1 2; do
  for rows in 0 8; do
    "${java[@]}" --threads 2 e2e --engine-s 2 --streams 256 --chunks 96 --ahead-warmup-s 30 -D batch.max.size=32 \
        -D model.step.piece.rows="$rows" --out "$out/e2e_warm_rows${rows}_$round.json"
  done
done
echo "bench: step-pieces results in $out" >&2
