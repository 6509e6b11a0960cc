#!/usr/bin/env bash
# A `memstream bench e2e` run sampled by Linux perf (every thread of the process, Java frames named
# through the JVM's perf map, native and kernel frames too, which JFR's execution samples do not
# see: the broker's file and socket writes, ONNX Runtime), then two text reports: the samples of
# each thread, and for the threads matching THREADS (perf's 15-character thread names, default the
# broker's request handlers and network threads) the functions by inclusive share.
# Needs perf (Debian: linux-perf) and the rights to use it (root, or kernel.perf_event_paranoid <= 1).
# Usage: BENCH_OUT=DIR [DELAY_S=15 RECORD_S=25 THREADS=data-plane-kafk] bench/perf-e2e.sh NAME <e2e arguments...>
#   e.g. bench/perf-e2e.sh warm --streams 256 --chunks 48 --ahead-warmup-s 30 -D batch.max.size=32
# Writes DIR/NAME.json (the run's own figures), NAME.threads.txt and NAME.functions.txt.
source "$(dirname "$0")/lib.sh"
name="$1"
shift
out="$(bench_out)"
command -v perf > /dev/null || { echo "perf-e2e: perf is not installed (Debian: apt-get install linux-perf)" >&2; exit 1; }
JAVA_OPTS="${JAVA_OPTS:-} -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer" \
  bash -c 'source bench/lib.sh; exec "${memstream_bench[@]}" --threads "$bench_threads" e2e --engine-s 2 "$@"' _ "$@" \
  --out "$out/$name.json" &
pid=$!
sleep "${DELAY_S:-15}"
perf record -F 499 -g -p "$pid" -o "$out/$name.perf.data" -- sleep "${RECORD_S:-25}"
wait "$pid"
perf report -i "$out/$name.perf.data" --no-children --sort comm --stdio -g none > "$out/$name.threads.txt"
perf report -i "$out/$name.perf.data" --children --comm "${THREADS:-data-plane-kafk}" --sort sym --stdio -g none \
  > "$out/$name.functions.all.txt"
head -150 "$out/$name.functions.all.txt" > "$out/$name.functions.txt" # the largest; the rest are crumbs
rm -f "$out/$name.functions.all.txt"
rm -f "$out/$name.perf.data" "/tmp/perf-$pid.map"
