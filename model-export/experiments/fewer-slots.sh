#!/usr/bin/env bash
# Issue 2 (model-export/README.md, "What was tried"): stages 1 and 2 of train-default.sh with SLOTS
# memory slots instead of 16, from scratch. The binding probe found the default's write reading the
# chunk in windows of about 64 / 16 = 4 positions: a fact's key and first two value digits land in
# one slot, its third digit in the next, which holds both facts' third digits. With 8 slots a slot's
# window is 8 positions, the length of a fact ("@kq=381;"). Then evaluation as the default's.
#   model-export/experiments/fewer-slots.sh SLOTS [STAGE2_MINUTES]    (runs/slotsN-induction, runs/slotsN-memory)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
slots="$1" minutes="${2:-75}"
model="{\"d_model\": 128, \"n_layers\": 2, \"n_heads\": 4, \"memory_slots\": $slots, \"chunk_length\": 64, \"max_new_tokens\": 64, \"mem_layers\": 1, \"token_shift\": 3, \"write_context\": 6"
stage1="runs/slots$slots-induction" stage2="runs/slots$slots-memory"
common=(--data kjv,jargon --time-schedule --kv-facts 2 --w-lm 1 --w-kv 3 --log-every 20 --ckpt-every 200
        --threads "${MEMSTREAM_THREADS:-1}")
"$py" -m memstream_model train --out "$stage1" --resume --seed 0 "${common[@]}" --model-config "$model}" \
  --batch-size 32 --n-chunks 2 --bptt 2 --kv-max-distance 1 --kv-fraction 1 --kv-in-context 1 \
  --no-recall --no-mem --no-vic --lr 2e-3 --max-steps 3000 --max-minutes 8
. "$here/memory-task.sh"
"$py" -m memstream_model train --out "$stage2" --resume --seed 1 --init-from "$stage1/ckpt.pt" "${memory_task[@]}" \
  --model-config "$model, \"write_inputs\": true}" --kv-facts 2 --kv-in-context 0.25 --curriculum-adaptive \
  --curriculum-threshold 0.9 --lr 1.5e-3 --max-steps 12000 --max-minutes "$minutes" --threads "${MEMSTREAM_THREADS:-1}"
"$py" -m memstream_model eval --checkpoint "$stage2/ckpt.pt" --facts 2 --out "$stage2/eval.json" | tee "$stage2/eval.txt"
