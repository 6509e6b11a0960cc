#!/usr/bin/env bash
# batch.overlap on and off, alternating, twice each: the default end-to-end run (256 streams x 48
# chunks published ahead, batch.max.size=32) with ONNX Runtime on both cores, and with one model
# thread, which leaves the other core to Kafka. Each result's "cpu" says which threads did the work,
# "model_share_of_wall_time" how much of the run the model was busy. Results in
# bench/results/overlap/*.json; bench/report.py prints them.
# Usage: bench/overlap.sh     (about 6 minutes; needs the jar, see bench/run-all.sh)
source "$(dirname "$0")/lib.sh"
out="$(bench_out overlap)"
java=("${memstream_bench[@]}")
e2e=(e2e --engine-s 2 --streams 256 --chunks 48 -D batch.max.size=32)
for round in 1 2; do
  for threads in 2 1; do
    for overlap in true false; do
      "${java[@]}" --threads "$threads" "${e2e[@]}" -D batch.overlap="$overlap" \
          --out "$out/threads${threads}_overlap_${overlap}_$round.json"
    done
  done
done
echo "bench: overlap results in $out" >&2
