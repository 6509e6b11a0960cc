#!/usr/bin/env bash
# The long crash test of issue 7: ReliabilityCrashTest with at least 10 kill -9 of a random memstream
# instance and one broker restart, then everything read read_committed and compared with a
# fault-free oracle. Prints the counts and writes them into docs/RELIABILITY.md (section crash-long).
#
#   tools/reliability/crash-test.sh [KILLS]        # default 10
#   MEMSTREAM_CRASH_STREAMS=24 MEMSTREAM_CRASH_CHUNKS=20 MEMSTREAM_CRASH_SEED=7 tools/reliability/crash-test.sh
#   MEMSTREAM_CRASH_BATCH=8 ...                     # batched model calls (outputs may then differ in float rounding)
# Runs under nice, outside Maven on a copy of the compiled classes (tools/reliability/classpath.sh);
# MEMSTREAM_MVN_FLAGS passes extra flags to the build (for example -o to stay offline).
set -euo pipefail
cd "$(dirname "$0")/../.."
export MEMSTREAM_CRASH_KILLS="${1:-${MEMSTREAM_CRASH_KILLS:-10}}"
export MEMSTREAM_CRASH_STREAMS="${MEMSTREAM_CRASH_STREAMS:-24}"
export MEMSTREAM_CRASH_CHUNKS="${MEMSTREAM_CRASH_CHUNKS:-20}"
export MEMSTREAM_CRASH_BROKER_RESTART="${MEMSTREAM_CRASH_BROKER_RESTART:-1}"   # 0: kills only
# MEMSTREAM_CRASH_BROKER_KILL=anytime: kill the broker without freezing the instances first, which can
# land inside a commit and hit KAFKA-20734 case (2) (docs/RELIABILITY.md); the default is quiet.
summary=stream-app/target/reliability/crash-summary.txt
rm -f "$summary"
status=0
cp=$(tools/reliability/classpath.sh crash)
(cd stream-app && nice -n 19 java -Dmemstream.repo.root="$PWD/.." -cp "$cp" io.memstream.topology.ReliabilityMain crash) \
  | grep -E '^crash test|^CRASH-RESULT|^FAILED' || status=$?
[ -f "$summary" ] || { echo "no summary written: the test did not get to the end" >&2; exit 1; }
verdict=PASS
grep -qE '(^| )(unexpected_exits|duplicates|missing|extra|mismatches|memory_mismatches|dlq_mismatches)=[1-9]' "$summary" && verdict=FAIL
command="MEMSTREAM_CRASH_STREAMS=$MEMSTREAM_CRASH_STREAMS MEMSTREAM_CRASH_CHUNKS=$MEMSTREAM_CRASH_CHUNKS tools/reliability/crash-test.sh $MEMSTREAM_CRASH_KILLS"
/usr/bin/env python3 tools/reliability/update-doc.py crash-long "$summary" "$command" "$verdict"
echo "crash test: $verdict ($(cat "$summary"))"
[ "$verdict" = PASS ]
