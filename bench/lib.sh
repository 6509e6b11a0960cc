# Sourced by the bench scripts: strict mode, the repository root as the working directory, and the
# JVM as the memstream launcher runs it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# bench_out NAME: makes and prints the results directory NAME under $BENCH_OUT (default bench/results).
bench_out() {
  local d="${BENCH_OUT:-bench/results}${1:+/$1}"
  mkdir -p "$d"
  echo "$d"
}

bench_py="${BENCH_PYTHON:-$(cat model-export/.python 2>/dev/null || echo model-export/.venv/bin/python)}"
bench_threads="${BENCH_THREADS:-2}"
bench_model="${BENCH_MODEL:-models/default}"

# The checkout's revision, which each result records (environment.source_rev; "-dirty" when the tree
# has uncommitted changes). The jar is what ./mvnw package last built from it.
bench_rev="$(git describe --always --dirty 2>/dev/null || echo unknown)"

# The JVM with C1 alone, as the launcher runs it (bench/jit-tiers.sh says why), and the user's JAVA_OPTS;
# the jar on it, naming the revision it was built from; and memstream bench on it for the model under test.
memstream_jvm=(java -XX:TieredStopAtLevel=1 ${JAVA_OPTS:-})
memstream_jar=(-Dmemstream.source.rev="$bench_rev" -jar stream-app/target/memstream.jar)
memstream_java=("${memstream_jvm[@]}" "${memstream_jar[@]}")
memstream_bench=("${memstream_java[@]}" bench --model "$bench_model")

# engine_and_baselines OUT [SUFFIX]: 1. the engine alone, then 2. the same model in Python (the ratio
# table reads the engine's JSON), into OUT/<name>SUFFIX.json. Each side is compared with the other's same
# thread waiting policy: PyTorch's OpenMP threads and onnxruntime's Python binding spin while idle by
# default, against the engine with ONNX Runtime's spinning on; PyTorch with them sleeping
# (OMP_WAIT_POLICY=PASSIVE) against memstream's default, spinning off.
engine_and_baselines() {
  local out="$1" sfx="${2:-}"
  local java=("${memstream_bench[@]}" --threads "$bench_threads") t=(--warmup-s 1 --measure-s 3 --min-reps 10)
  local py=("$bench_py" bench/python_baseline.py --model "$bench_model" --threads "$bench_threads" "${t[@]}")
  "${java[@]}" engine "${t[@]}" --out "$out/engine$sfx.json"
  "${java[@]}" engine "${t[@]}" --ort-spinning true --out "$out/engine_spinning$sfx.json"
  "${py[@]}" --java "$out/engine_spinning$sfx.json" --out "$out/python_baseline$sfx.json"
  OMP_WAIT_POLICY=PASSIVE "${py[@]}" --java "$out/engine$sfx.json" --out "$out/python_baseline_omp_passive$sfx.json"
}
