#!/usr/bin/env bash
# Every benchmark behind docs/PERFORMANCE.md, one after the other, results in bench/results/*.json.
# Usage: bench/run-all.sh [quick|engine|e2e]    ("quick": seconds-long smoke sizes, the figures mean
# nothing; "engine": only the engine, its Python baselines (also in paired rounds) and its JMH run,
# about 14 minutes; "e2e":
# only the end-to-end runs and their one-setting-at-a-time sweep, about 14 minutes)
# BENCH_MODEL: the model directory (default models/default); BENCH_PLOT: where the history-cost
# plot goes (default docs/history_cost.png).
# Needs the jar (./mvnw -B -ntp -DskipTests package) and model-export's Python (model-export/setup-env.sh;
# matplotlib for the plot: model-export/.venv/bin/pip install matplotlib).
source "$(dirname "$0")/lib.sh"
out="$(bench_out)"
py="$bench_py"
threads="$bench_threads"
model="$bench_model"
java=("${memstream_bench[@]}" --threads "$threads")
java1=("${memstream_bench[@]}" --threads 1)

if [ "${1:-}" = quick ]; then
  q=(--warmup-s 0.2 --measure-s 0.3 --min-reps 3)
  "${java[@]}" engine --step-batches 1,8 --decode-batches 1,8 --generation-streams 4 --new-tokens 8 "${q[@]}" --out "$out/engine.json"
  "$py" bench/python_baseline.py --model "$model" --threads "$threads" --step-batches 1,8 --decode-batches 1,8 --warmup-s 0.2 --measure-s 0.3 --min-reps 3 \
        --java "$out/engine.json" --out "$out/python_baseline.json"
  "$py" bench/history_cost.py --model "$model" --threads "$threads" --window 256 --chunks 6 --passes 1 --out "$out/history_cost.json" --plot "$out/history_cost.png"
  "${java[@]}" state --chunks 16 --out "$out/state.json"
  "${java[@]}" ort --measure-s 0.3 --out "$out/ort_options.json"
  "${java[@]}" e2e --streams 8 --chunks 2 --engine-s 0.5 -D batch.max.size=8 --out "$out/e2e_smoke.json"
  exit 0
fi

# 1. The engine alone and 2. the same model in Python (bench/lib.sh, engine_and_baselines); then step
# against PyTorch in paired rounds, which bench/report.py judges the Java target on (bench/paired-step.sh).
if [ "${1:-}" != e2e ]; then
engine_and_baselines "$out"
BENCH_OUT="$out" bench/paired-step.sh 8
# The same engine workloads under JMH (bench/jmh; its JSON is jmh_engine.json).
BENCH_OUT="$out" MODEL="$model" THREADS="$threads" bench/jmh.sh >&2
if [ "${1:-}" = engine ]; then
  exit 0
fi
# ONNX Runtime session options: per-session pools in one JVM, a global pool per JVM.
"${java[@]}" ort --measure-s 2 --out "$out/ort_options.json"
"${java[@]}" ort --measure-s 2 --global-pool-spin true --out "$out/ort_options_global_spin.json"
"${java[@]}" ort --measure-s 2 --global-pool-spin false --out "$out/ort_options_global_nospin.json"
fi
# 3. End to end: per-record (batch 1) against batched, without and with generation; latency at a fixed
# rate. Runs published ahead read 12,288 chunks (256 streams x 48), so the steady middle of the run
# (10th-90th percentile outputs) is past the start and most of the JIT compilation of Kafka's code.
# The cold runs the targets are judged on drain a backlog of 37-58 s instead (61,440 chunks): a start
# costs 0.4-1.8 s behind the run's own steady rate (each result's start_lag_s), against the 8-12 s a
# 12,288-chunk run lasts (docs/performance-runs.md, "Run U"). The start's cost is reported apart.
ahead=(--streams 256 --chunks 48)
backlog=(--streams 256 --chunks 240)
"${java[@]}" e2e --engine-s 2 "${backlog[@]}" -D batch.max.size=1 --out "$out/e2e_batch1.json"
"${java[@]}" e2e --engine-s 2 "${backlog[@]}" -D batch.max.size=32 --out "$out/e2e_batch32.json"
# The same, warm: the processor absorbs warm-up streams for 30 s first, as the engine alone it is compared
# with warms up before it is timed (bench/jit-tiers.sh: how long the JIT keeps compiling after a start).
"${java[@]}" e2e --engine-s 2 "${ahead[@]}" --ahead-warmup-s 30 -D batch.max.size=32 --out "$out/e2e_batch32_warm.json"
# The same at batch 1: cold, the model got 0.69-0.71 of the engine alone's cores, warm 0.76-0.78
# (docs/performance-runs.md, "Run T", bench/results/run-t/warm-cold).
"${java[@]}" e2e --engine-s 2 "${ahead[@]}" --ahead-warmup-s 30 -D batch.max.size=1 --out "$out/e2e_batch1_warm.json"
# The same with float32 state: state.dtype=auto, the default, stores the default model's state as
# float16, as its manifest says it may (half the changelog bytes, which the broker on these cores pays
# for: docs/performance-runs.md, "Run R"); this is what a model that must keep float32 pays.
"${java[@]}" e2e --engine-s 2 "${ahead[@]}" --ahead-warmup-s 30 -D batch.max.size=32 -D state.dtype=float32 \
    --out "$out/e2e_batch32_warm_fp32.json"
"${java[@]}" e2e --engine-s 2 --streams 64 --chunks 128 --new-tokens 32 -D batch.max.size=1 --out "$out/e2e_batch1_gen.json"
# Generating, batched: 96 chunks a stream for the warm and tuned runs (at 32 the batched run lasted 5-7 s,
# mostly its start, and three identical runs spread 0.62-0.87, run L; at 96 they took 14-16 s,
# docs/performance-runs.md, "Run M"); the cold one drains 384, 46-56 s, as the cold runs above.
gen=(--streams 64 --chunks 96 --new-tokens 32)
"${java[@]}" e2e --engine-s 2 --streams 64 --chunks 384 --new-tokens 32 -D batch.max.size=32 --out "$out/e2e_batch32_gen.json"
# The same, warm, as the batched run above: the generating runs started cold, the compilers took 0.08 of
# the 2 cores in them (run O), and the engine alone they are compared with is timed warm.
"${java[@]}" e2e --engine-s 2 "${gen[@]}" --ahead-warmup-s 30 -D batch.max.size=32 --out "$out/e2e_batch32_gen_warm.json"
# Half the peak absorb rate of the batched run, paced into a running processor: the latency target, after
# 15 s of warm-up streams at that rate (reported apart). The peak comes from the warm run; with 3 s (the
# option's default) the processor was still warming at the clock's start at run O's higher rate: the
# warm-up's own p50 was 294-1,038 ms and one run of three carried a five-second backlog into the measured
# window (docs/performance-runs.md, "Run O").
# The peak is the warm run's steady rate.
rate=$("$py" -c "import json; r = json.load(open('$out/e2e_batch32_warm.json')); print(round(r.get('steady_chunks_per_s', r['chunks_per_s']) / 2, 1))")
"${java[@]}" e2e --engine-s 1 --streams 256 --chunks 64 --rate "$rate" --paced-warmup-s 15 -D batch.max.size=32 --out "$out/e2e_paced_half_peak.json"
# Two stream threads: separate sessions against one merging session (batch.merge).
"${java[@]}" e2e --engine-s 2 "${ahead[@]}" --stream-threads 2 -D batch.max.size=16 -D batch.merge=false --out "$out/e2e_2threads.json"
"${java[@]}" e2e --engine-s 2 "${ahead[@]}" --stream-threads 2 -D batch.max.size=16 -D batch.merge=true --out "$out/e2e_2threads_merge.json"
# Tuned for throughput on this 2-core machine, where the broker shares the cores (bench/e2e-tuning.sh,
# below, tries the settings one at a time): ONNX Runtime on one thread leaves the other core to Kafka,
# exactly-once commits every second, float16 state (the bigger producer batches it once added are
# memstream's defaults now).
tuned=(-D batch.max.size=32 -D commit.interval.ms=1000 -D state.dtype=float16)
"${java1[@]}" e2e --engine-s 2 "${ahead[@]}" "${tuned[@]}" --out "$out/e2e_tuned.json"
"${java1[@]}" e2e --engine-s 2 "${gen[@]}" "${tuned[@]}" --out "$out/e2e_tuned_gen.json"
BENCH_OUT="$out" bench/e2e-tuning.sh
if [ "${1:-}" = e2e ]; then
  exit 0
fi
# 4. Cost per chunk against position, and 5. state size.
"$py" bench/history_cost.py --model "$model" --threads "$threads" --out "$out/history_cost.json" --plot "${BENCH_PLOT:-docs/history_cost.png}"
"${java[@]}" state --out "$out/state.json"
"$py" bench/report.py "$out" > "$out/REPORT.md"
echo "bench: all results in $out, tables in $out/REPORT.md" >&2
