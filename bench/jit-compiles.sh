#!/usr/bin/env bash
# What the JIT compiles while a cold end-to-end run runs, by whose code (bench/jit_compiles.py): one
# `memstream bench e2e` run published ahead, in the launcher's JVM with -XX:+PrintCompilation; the log,
# the run's result and the counts go to bench/results/jit-compiles/ (or $BENCH_OUT/jit-compiles).
# Usage: bench/jit-compiles.sh [e2e options]   e.g. bench/jit-compiles.sh --streams 256 --chunks 48 -D batch.max.size=32
source "$(dirname "$0")/lib.sh"
out="$(bench_out jit-compiles)"
"${memstream_jvm[@]}" -XX:+PrintCompilation "${memstream_jar[@]}" bench --model "$bench_model" --threads "$bench_threads" \
    e2e --engine-s 2 "$@" --out "$out/e2e.json" > "$out/compiles.log" 2>&1
"$bench_py" bench/jit_compiles.py "$out/compiles.log" > "$out/jit_compiles.json"
echo "bench: compilations during the run in $out/jit_compiles.json" >&2
