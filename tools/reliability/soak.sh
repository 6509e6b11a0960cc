#!/usr/bin/env bash
# The soak of issue 7: ReliabilitySoakTest for MINUTES (default 30) at a steady rate with generation,
# sampling heap, RSS, open files, threads and throughput. Writes samples.csv, plot.svg and summary.txt
# under stream-app/target/reliability/soak-<MINUTES>m/, judges them against the targets (RSS and heap
# growth after warm-up under 5%, no file-descriptor growth, throughput within 10% of its start) and
# writes the figures into docs/RELIABILITY.md (section soak-long).
#
#   tools/reliability/soak.sh [MINUTES]            # default 30, warm-up 5 minutes
#   MEMSTREAM_SOAK_RATE=20 MEMSTREAM_SOAK_MODEL=default tools/reliability/soak.sh 30
# Runs under nice (MEMSTREAM_SOAK_NICE, default 19; 0 when something else runs beside it), outside Maven on a copy of the compiled classes (tools/reliability/classpath.sh);
# MEMSTREAM_MVN_FLAGS passes extra flags to the build (for example -o to stay offline).
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes="${1:-30}"
export MEMSTREAM_SOAK_SECONDS=$(( minutes * 60 ))
export MEMSTREAM_SOAK_WARMUP_SECONDS="${MEMSTREAM_SOAK_WARMUP_SECONDS:-$(( minutes >= 10 ? 300 : MEMSTREAM_SOAK_SECONDS / 4 ))}"
export MEMSTREAM_SOAK_SAMPLE_SECONDS="${MEMSTREAM_SOAK_SAMPLE_SECONDS:-$(( minutes >= 10 ? 10 : 5 ))}"
export MEMSTREAM_SOAK_OUT="$PWD/stream-app/target/reliability/soak-${minutes}m"
rm -f "$MEMSTREAM_SOAK_OUT/summary.txt"
cp=$(tools/reliability/classpath.sh "soak-${minutes}m")
(cd stream-app && nice -n "${MEMSTREAM_SOAK_NICE:-19}" java -Dmemstream.repo.root="$PWD/.." -cp "$cp" io.memstream.topology.ReliabilityMain soak) \
  | grep -E '^soak|^SOAK-RESULT|^FAILED' || true
summary="$MEMSTREAM_SOAK_OUT/summary.txt"
[ -f "$summary" ] || { echo "no summary written: the soak did not get to the end" >&2; exit 1; }
verdict=$(/usr/bin/env python3 - "$summary" <<'PY'
import sys
f = dict(kv.split("=", 1) for kv in open(sys.argv[1]).read().split())
problems = []
for key in ("rss_growth_pct", "heap_growth_pct"):
    if float(f[key]) >= 5.0:
        problems.append(f"{key}={f[key]}")
if int(f["fds_end"]) > int(f["fds_start"]) + 5:
    problems.append(f"fds {f['fds_start']}->{f['fds_end']}")
t0, t1 = float(f["throughput_start"]), float(f["throughput_end"])
if t0 > 0 and abs(t1 - t0) / t0 > 0.10:
    problems.append(f"throughput {t0}->{t1}")
if f["produced"] != f["outputs"]:
    problems.append(f"outputs {f['outputs']} of {f['produced']}")
print("PASS" if not problems else "FAIL: " + ", ".join(problems))
PY
)
cp "$MEMSTREAM_SOAK_OUT/plot.svg" "docs/reliability-soak-${minutes}m.svg"
/usr/bin/env python3 tools/reliability/update-doc.py soak-long "$summary" \
  "tools/reliability/soak.sh $minutes (rate ${MEMSTREAM_SOAK_RATE:-20}/s, model ${MEMSTREAM_SOAK_MODEL:-tiny}); plot docs/reliability-soak-${minutes}m.svg" "$verdict"
echo "soak: $verdict ($(cat "$summary"))"
[ "$verdict" = PASS ]
