#!/usr/bin/env bash
# Engine speed of every trained architecture (models/default = rmt, models/fam, models/infinity),
# one after the other in the same conditions (the launcher's JVM, bench/lib.sh): step tokens/s (batch 1 and 32) and cached decoding
# tokens/s (batch 1 and 32). Writes bench/results/arch_<model>.json; prints a table.
# Needs the jar (./mvnw -B -ntp -DskipTests package). Usage: bench/architectures.sh
source "$(dirname "$0")/lib.sh"
out="$(bench_out)"
for m in default fam infinity; do
  "${memstream_java[@]}" bench --model "models/$m" --threads "$bench_threads" engine \
    --step-batches 1,32 --decode-batches 1,32 --generation-streams 8 --new-tokens 32 \
    --warmup-s 1 --measure-s 2 --min-reps 5 --out "$out/arch_$m.json" > /dev/null
done
python3 - "$out" <<'PY'
import json, sys
print("| model | step tok/s b1 | step tok/s b32 | decode tok/s b1 | decode tok/s b32 |")
print("|---|---|---|---|---|")
for m in ("default", "fam", "infinity"):
    r = json.load(open(f"{sys.argv[1]}/arch_{m}.json"))
    def find(section, b):
        for row in r[section]:
            if row.get("batch") == b:
                return row
    s1, s32 = find("step", 1), find("step", 32)
    d1, d32 = find("decode", 1), find("decode", 32)
    f = lambda row: f"{row['tokens_per_s']:,.0f}" if row else "-"
    print(f"| {m} | {f(s1)} | {f(s32)} | {f(d1)} | {f(d32)} |")
PY
