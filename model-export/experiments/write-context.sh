#!/usr/bin/env bash
# The write-context experiment of issue 2 (model-export/README.md, "What was tried"): from the
# default model's stage-2 weights (model-export/train-default.sh must have run), switch on rmt's
# token shift over 3 lags (a query's "=" sees the key "kq" before it) and its write context (the
# memory write sees each position with its 6 predecessors, so a slot holding a fact's value also
# sees its key); both start as the identity. Train on the committed model's two-fact task with a
# share of in-context lookups; then evaluate, first-asked fact included.
#   model-export/experiments/write-context.sh [MINUTES]     (default 90; STEPS default 12000)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
minutes="${1:-90}"
run="$here/runs/write-context"
model='{"d_model": 128, "n_layers": 2, "n_heads": 4, "memory_slots": 16, "chunk_length": 64, "max_new_tokens": 64, "mem_layers": 1, "token_shift": 3, "write_context": 6}'
"$py" -m memstream_model train --out "$run" --resume --seed 3 --init-from runs/stage2/ckpt.pt \
  --model-config "$model" --data kjv,jargon --batch-size 12 --n-chunks 6 --bptt 6 --time-schedule \
  --kv-facts 2 --kv-in-context 0.25 --kv-max-distance 5 --curriculum-adaptive --kv-fraction 0.75 \
  --w-lm 1 --w-kv 3 --w-recall 0.3 --w-mem 0.5 --w-vic 0.1 --lr 1e-3 --warmup 100 \
  --max-steps "${STEPS:-12000}" --max-minutes "$minutes" --log-every 20 --ckpt-every 200 --threads "${MEMSTREAM_THREADS:-1}"
"$py" -m memstream_model eval --checkpoint "$run/ckpt.pt" --facts 2 --distances 1,2,4,8 --out "$run/eval.json" | tee "$run/eval.txt"
