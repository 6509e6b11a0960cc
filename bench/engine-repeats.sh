#!/usr/bin/env bash
# The engine alone and its Python baselines again, with the commands bench/run-all.sh runs, into
# <name>_repeatN.json beside that run's results: bench/report.py judges the Java-against-PyTorch
# target on the median of the runs (these machines drift by several percent between minutes).
# Usage: BENCH_OUT=DIR bench/engine-repeats.sh [N]     (N repeats, default 2; about 3 minutes each)
source "$(dirname "$0")/lib.sh"
out="$(bench_out)"
py="${BENCH_PYTHON:-$(cat model-export/.python 2>/dev/null || echo model-export/.venv/bin/python)}"
threads="${BENCH_THREADS:-2}"
model="${BENCH_MODEL:-models/default}"
java=("${memstream_bench[@]}" --threads "$threads")
t=(--warmup-s 1 --measure-s 3 --min-reps 10)
for n in $(seq 1 "${1:-2}"); do
  "${java[@]}" engine "${t[@]}" --out "$out/engine_repeat$n.json"
  "${java[@]}" engine "${t[@]}" --ort-spinning true --out "$out/engine_spinning_repeat$n.json"
  "$py" bench/python_baseline.py --model "$model" --threads "$threads" "${t[@]}" --java "$out/engine_spinning_repeat$n.json" \
      --out "$out/python_baseline_repeat$n.json"
  OMP_WAIT_POLICY=PASSIVE "$py" bench/python_baseline.py --model "$model" --threads "$threads" "${t[@]}" \
      --java "$out/engine_repeat$n.json" --out "$out/python_baseline_omp_passive_repeat$n.json"
done
echo "bench: engine repeats in $out" >&2
