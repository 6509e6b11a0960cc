#!/usr/bin/env bash
# A `memstream bench e2e` run under Java Flight Recorder with execution samples every millisecond
# (JFR's "profile" settings sample every 10 ms or 20 ms, too few for a thread that uses a tenth of a
# core), then where the stream thread's Java time went (bench/jfr_samples.py).
# Usage: BENCH_OUT=DIR bench/profile-e2e.sh NAME <memstream bench e2e arguments...>
#   e.g. bench/profile-e2e.sh warm --streams 256 --chunks 48 --ahead-warmup-s 30 -D batch.max.size=32
# Writes DIR/NAME.jfr, NAME.json (the run's own figures), NAME.samples.txt and NAME.stream-thread.json.
source "$(dirname "$0")/lib.sh"
name="$1"
shift
out="$(bench_out)"
jfc="$out/$name.jfc"
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
"$bench_py" - "$java_home/lib/jfr/profile.jfc" "$jfc" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r'(<event name="jdk.ExecutionSample">.*?<setting name="period"[^>]*>)[^<]*(</setting>)', r'\g<1>1 ms\2', s, flags=re.S)
open(sys.argv[2], "w").write(s)
PY
JAVA_OPTS="${JAVA_OPTS:-} -XX:StartFlightRecording=filename=$out/$name.jfr,settings=$jfc" \
  bash -c 'source bench/lib.sh; "${memstream_bench[@]}" --threads "$bench_threads" e2e --engine-s 2 "$@"' _ "$@" --out "$out/$name.json"
rm -f "$jfc"
jfr print --events jdk.ExecutionSample --stack-depth 64 "$out/$name.jfr" > "$out/$name.samples.txt"
"$bench_py" bench/jfr_samples.py "$out/$name.samples.txt" --thread 'memstream-bench-ID-StreamThread-1' \
  --json "$out/$name.stream-thread.json"
