#!/usr/bin/env bash
# Issue 2 (model-export/README.md, "What was tried"): does training on more facts per stream teach
# key -> value binding? The default answers the first-asked of two facts about half the time
# (chance) and the second almost always: it keeps both values but not which key owns which, and
# with two facts the training loss only punishes that on the first digit of the first answer
# (~ln 2), the rest follows by elimination. With F facts the unbound guess costs ln F, ln F-1, ...
# A third stage from models/default's weights (runs/memory), the memory task as in stage 2 but F
# facts per key-value row, distance 1..5 at once (the default's curriculum already reached 5).
# Then evaluation as the default's: two facts (the default's eval task), distances 1..32.
#   model-export/experiments/more-facts.sh FACTS IN_CONTEXT [MINUTES]   (MINUTES default 55)
# FACTS 4 needs IN_CONTEXT 0: four facts and their queries do not fit one 64-token chunk.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
facts="$1"; in_context="$2"
run="$here/runs/facts$facts"
. "$here/memory-task.sh"
"$py" -m memstream_model train --out "$run" --resume --seed 2 --init-from runs/memory/ckpt.pt "${memory_task[@]}" \
  --kv-facts "$facts" --kv-in-context "$in_context" --curriculum-frac 0.02 \
  --lr 1e-3 --max-steps "${STEPS:-12000}" --max-minutes "${3:-55}" --threads "${MEMSTREAM_THREADS:-1}"
"$py" -m memstream_model eval --checkpoint "$run/ckpt.pt" --facts 2 --out "$run/eval.json" | tee "$run/eval.txt"
