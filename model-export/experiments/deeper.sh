#!/usr/bin/env bash
# Issue 2 (model-export/README.md, "What was tried"): does a deeper predictor learn key -> value
# binding? experiments/binding_probe.py on models/default's weights (runs/memory) found that layer
# 0's head 3 already attends, at a query, to the memory slot holding the fact asked (97-98 %), but
# layer 1's heads read both facts' slots alike, and the first-asked value is right at chance.
# A third stage from those weights with LAYERS predictor layers (the new ones appended, starting
# as the identity: rmt's start_as_identity), the memory task as in stage 2 with FACTS facts per row,
# then evaluation as the default's (two facts, distances 1..32).
#   model-export/experiments/deeper.sh LAYERS FACTS IN_CONTEXT [MINUTES]   (MINUTES default 55)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
layers="$1"; facts="$2"; in_context="$3"
run="$here/runs/layers$layers-facts$facts"
model="{\"d_model\": 128, \"n_layers\": $layers, \"n_heads\": 4, \"memory_slots\": 16, \"chunk_length\": 64, \"max_new_tokens\": 64, \"mem_layers\": 1, \"token_shift\": 3, \"write_context\": 6, \"write_inputs\": true}"
. "$here/memory-task.sh"
"$py" -m memstream_model train --out "$run" --resume --seed 3 --init-from runs/memory/ckpt.pt "${memory_task[@]}" \
  --model-config "$model" --kv-facts "$facts" --kv-in-context "$in_context" --curriculum-frac 0.02 \
  --lr 1e-3 --max-steps "${STEPS:-12000}" --max-minutes "${4:-55}" --threads "${MEMSTREAM_THREADS:-1}"
"$py" -m memstream_model eval --checkpoint "$run/ckpt.pt" --facts 2 --out "$run/eval.json" | tee "$run/eval.txt"
