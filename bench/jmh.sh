#!/usr/bin/env bash
# The engine under JMH (bench/jmh, io.memstream.jmh.EngineBenchmarks): step by batch size, cached
# generation by batch size, recomputation, and 32 streams batched against one at a time. Writes JMH's
# JSON to $BENCH_OUT/jmh_engine.json (default bench/results) and prints tokens/s and the ratios.
#   bench/jmh.sh                         (MODEL=models/default THREADS=2; JMH_ARGS adds JMH options)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${BENCH_OUT:-bench/results}"
mkdir -p "$out"
[ -f bench/jmh/target/benchmarks.jar ] || ./mvnw -B -ntp -q -DskipTests package
# shellcheck disable=SC2086
java -jar bench/jmh/target/benchmarks.jar EngineBenchmarks -p model="${MODEL:-models/default}" \
  -p threads="${THREADS:-2}" -rf json -rff "$out/jmh_engine.json" ${JMH_ARGS:-}
python3 bench/jmh_report.py "$out/jmh_engine.json"
