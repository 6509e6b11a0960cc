#!/usr/bin/env bash
# Issue 2 (model-export/README.md, "What was tried"): the default pipeline's memory stage without
# rmt's write_inputs, from the same stage-1 weights (model-export/train-default.sh's runs/induction
# must exist): the memory module reads only the predictor's final hidden states (with token shift 3
# and write context 6, as the default). Then evaluation on the two-fact task out to distance 2,
# in context included.
#   model-export/experiments/without-write-inputs.sh [MINUTES]     (default 70; STEPS default 12000)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
run="$here/runs/induction-then-memory"
model='{"d_model": 128, "n_layers": 2, "n_heads": 4, "memory_slots": 16, "chunk_length": 64, "max_new_tokens": 64, "mem_layers": 1, "token_shift": 3, "write_context": 6}'
. "$here/memory-task.sh"
"$py" -m memstream_model train --out "$run" --resume --seed 1 --init-from runs/induction/ckpt.pt "${memory_task[@]}" \
  --model-config "$model" --kv-facts 2 --kv-in-context 0.25 --curriculum-adaptive --curriculum-threshold 0.9 \
  --lr 1.5e-3 --max-steps "${STEPS:-12000}" --max-minutes "${1:-70}" --threads "${MEMSTREAM_THREADS:-1}"
"$py" -m memstream_model eval --checkpoint "$run/ckpt.pt" --facts 2 --distances 0,1,2 --docs 2 --doc-chunks 4 \
  --recall-trials 100 --out "$run/eval.json" | tee "$run/eval.txt"
