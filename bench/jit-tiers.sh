#!/usr/bin/env bash
# The JIT compilers against the model for the same 2 cores: the default end-to-end run (256 streams,
# batch.max.size=32, published ahead) cold and after 90 s of warm-up, with HotSpot's full tiered
# compilation (C1 then C2) and with C1 alone (-XX:TieredStopAtLevel=1), alternating. Each result's
# "cpu" says what the compiler threads took ("unlisted_known_native_cores.jit"). Results in
# bench/results/jit/*.json; bench/report.py prints them. JAVA_OPTS is not used here: the runs set the
# tier themselves. Usage: bench/jit-tiers.sh   (about 9 minutes; needs the jar, see bench/run-all.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${BENCH_OUT:-bench/results}/jit"
mkdir -p "$out"
bench=(-jar stream-app/target/memstream.jar bench --model "${BENCH_MODEL:-models/default}" --threads 2)
e2e=(e2e --streams 256 --chunk-bytes 63 --partitions 2 --stream-threads 1 -D batch.max.size=32)
for tier in 4 1; do
  name=$([ "$tier" = 4 ] && echo c2 || echo c1)
  java -XX:TieredStopAtLevel="$tier" "${bench[@]}" "${e2e[@]}" --chunks 48 --engine-s 2 --out "$out/cold_$name.json"
done
for tier in 4 1; do
  name=$([ "$tier" = 4 ] && echo c2 || echo c1)
  java -XX:TieredStopAtLevel="$tier" "${bench[@]}" "${e2e[@]}" --chunks 96 --engine-s 3 --ahead-warmup-s 90 \
      --out "$out/warm90_$name.json"
done
echo "bench: JIT tier results in $out" >&2
