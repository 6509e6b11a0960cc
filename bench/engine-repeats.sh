#!/usr/bin/env bash
# The engine alone and its Python baselines again, with the commands bench/run-all.sh runs, into
# <name>_repeatN.json beside that run's results: bench/report.py judges the Java-against-PyTorch
# target on the median of the runs (these machines drift by several percent between minutes).
# Usage: BENCH_OUT=DIR bench/engine-repeats.sh [N]     (N repeats, default 2; about 3 minutes each)
source "$(dirname "$0")/lib.sh"
out="$(bench_out)"
for n in $(seq 1 "${1:-2}"); do
  engine_and_baselines "$out" "_repeat$n"
done
echo "bench: engine repeats in $out" >&2
