#!/usr/bin/env bash
# The decode cache's layout, before and after (docs/performance-runs.md, "Run D"): `memstream bench engine` on models/default as committed at REF (default 095ebd6, all layers'
# keys/values in one cache_kv tensor) against the working tree's (one tensor per layer and kind; same
# weights), alternating ROUNDS times so both sides see the same machine, then the medians side by side.
#   bench/decode-layout.sh                       (THREADS=2 ROUNDS=3 REF=095ebd6 BENCH_OUT=bench/results/decode-layout)
set -euo pipefail
cd "$(dirname "$0")/.."
ref="${REF:-095ebd6}" rounds="${ROUNDS:-3}" threads="${THREADS:-2}" out="${BENCH_OUT:-bench/results/decode-layout}"
before="$(mktemp -d)"
trap 'rm -rf "$before"' EXIT
git archive "$ref" models/default | tar -x -C "$before"
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  for side in before after; do
    model="models/default"
    [ "$side" = before ] && model="$before/models/default"
    ./memstream bench --model "$model" --threads "$threads" engine --step-batches 32 --decode-batches 1,8,32 \
      --new-tokens 64 --generation-streams 32 --warmup-s 1.0 --measure-s 3.0 --min-reps 10 \
      --out "$out/${side}_t${threads}_r${r}.json" >/dev/null
  done
done
python3 bench/decode_layout.py "$out" "$threads"
