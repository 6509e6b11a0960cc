#!/usr/bin/env bash
# Runs a result's own command again (the "command" its JSON records), into <name>_repeatK.json beside
# it, K counting on from the repeats already there: bench/report.py judges the end-to-end and latency
# targets on the median of the runs.
# Usage: bench/repeat.sh DIR NAME [N]     e.g. bench/repeat.sh bench/results/run-i e2e_batch32_warm 2
source "$(dirname "$0")/lib.sh"
dir="$1"; name="$2"; n="${3:-2}"
# The recorded command without "memstream bench" and its --out, one argument a line.
mapfile -t args < <("$bench_py" - "$dir/$name.json" <<'PY'
import json, shlex, sys
words = shlex.split(json.load(open(sys.argv[1]))["environment"]["command"])
assert words[:2] == ["memstream", "bench"], words
words = words[2:]
i = words.index("--out")
print("\n".join(words[:i] + words[i + 2:]))
PY
)
# After the repeats already there, so that a second call adds runs instead of overwriting them.
last=0
for f in "$dir/${name}"_repeat*.json; do
  k="${f##*_repeat}"; k="${k%.json}"
  if [[ "$k" =~ ^[0-9]+$ ]] && (( k > last )); then last="$k"; fi
done
for k in $(seq $((last + 1)) $((last + n))); do
  # The recorded command names the model itself.
  "${memstream_java[@]}" bench "${args[@]}" \
      --out "$dir/${name}_repeat$k.json"
done
