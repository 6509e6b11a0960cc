#!/usr/bin/env bash
# Java engine against PyTorch eager on step, in turns: ROUNDS rounds, each the engine alone (a fresh
# JVM, `memstream bench engine --step-only`) and the same model in Python (bench/python_baseline.py,
# step only) one right after the other, in both thread waiting policies (the engine with ONNX
# Runtime spinning against PyTorch's default OpenMP threads, which spin; the engine as memstream runs
# it, spinning off, against PyTorch with OMP_WAIT_POLICY=PASSIVE). Who goes first alternates by round.
# These machines drift by 5-10% over minutes, more than the difference to judge: a pair of runs
# minutes apart cannot tell 1.4x from 1.6x, a median of per-round ratios can. bench/paired_step.py
# then writes $BENCH_OUT/paired_step.json (per-round ratios and their median), which bench/report.py
# judges the Java-against-PyTorch target on.
# Usage: BENCH_OUT=DIR bench/paired-step.sh [ROUNDS] [BATCHES]   (default 8 rounds at batch 32: ~6 minutes)
source "$(dirname "$0")/lib.sh"
out="$(bench_out)"
rounds="${1:-8}"
batches="${2:-32}"
rounds_dir="$(bench_out paired-step)"
t=(--warmup-s 1 --measure-s 3 --min-reps 10)
java_side() { # java_side ROUND POLICY SPINNING
  "${memstream_bench[@]}" --threads "$bench_threads" engine --step-only --step-batches "$batches" "${t[@]}" \
      --ort-spinning "$3" --out "$rounds_dir/java_$2_$1.json"
}
python_side() { # python_side ROUND POLICY [VAR=VALUE...]; the ratios come from bench/paired_step.py
  local r="$1" policy="$2"
  shift 2
  env "$@" "$bench_py" bench/python_baseline.py --model "$bench_model" --threads "$bench_threads" "${t[@]}" \
      --step-batches "$batches" --decode-batches "" --java "" --out "$rounds_dir/python_${policy}_$r.json"
}
for r in $(seq 1 "$rounds"); do
  # Who goes first alternates: neither side always runs on a machine the other has just left.
  if [ $((r % 2)) = 1 ]; then
    java_side "$r" spinning true
    python_side "$r" spinning
    java_side "$r" passive false
    python_side "$r" passive OMP_WAIT_POLICY=PASSIVE
  else
    python_side "$r" spinning
    java_side "$r" spinning true
    python_side "$r" passive OMP_WAIT_POLICY=PASSIVE
    java_side "$r" passive false
  fi
done
"$bench_py" bench/paired_step.py "$rounds_dir" --out "$out/paired_step.json"
