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

# memstream bench on the jar, with C1 alone as the launcher runs the JVM (bench/jit-tiers.sh says why).
memstream_bench=(java -XX:TieredStopAtLevel=1 ${JAVA_OPTS:-} -jar stream-app/target/memstream.jar bench
                 --model "${BENCH_MODEL:-models/default}")
