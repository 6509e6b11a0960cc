#!/usr/bin/env bash
# Shared by the issue-2 experiments (key-binding.sh, write-context.sh): a training stage from the
# former default model's stage-2 weights (experiments/former-default.sh must have run) with stage 2's data,
# losses and curriculum, then evaluation on the committed model's two-fact task, first-asked fact
# included.
#   experiments/from-stage2.sh RUN MINUTES MODEL_JSON SEED [more train flags]   (STEPS default 12000)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
run="$here/runs/$1" minutes="$2" model="$3" seed="$4"
shift 4
"$py" -m memstream_model train --out "$run" --resume --seed "$seed" --init-from runs/stage2/ckpt.pt \
  --model-config "$model" --data kjv,jargon --batch-size 12 --n-chunks 6 --bptt 6 --time-schedule \
  --kv-max-distance 5 --curriculum-adaptive --kv-fraction 0.75 \
  --w-lm 1 --w-kv 3 --w-recall 0.3 --w-mem 0.5 --w-vic 0.1 --lr 1e-3 --warmup 100 \
  --max-steps "${STEPS:-12000}" --max-minutes "$minutes" --log-every 20 --ckpt-every 200 \
  --threads "${MEMSTREAM_THREADS:-1}" "$@"
"$py" -m memstream_model eval --checkpoint "$run/ckpt.pt" --facts 2 --distances 1,2,4,8 --out "$run/eval.json" | tee "$run/eval.txt"
