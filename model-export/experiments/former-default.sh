#!/usr/bin/env bash
# The former default model's pipeline (models/default until session 5; model-export/README.md, "What
# was tried"): train -> evaluate, into runs/default and runs/stage2. The issue-2 experiments
# (from-stage2.sh) start from its stage 2. It no longer exports: models/default comes from
# model-export/train-default.sh.
#
# Two stages, each time-boxed (training stops by itself after its minutes of training time; the
# learning-rate decay follows the time box, --time-schedule, so it completes on a busy CPU):
#  1. runs/default: language model, recall and memory losses from scratch, half the rows carrying
#     the key-value task (MAX_MINUTES, default 70; MAX_STEPS, default 6000);
#  2. runs/stage2: from stage 1's weights with a fresh schedule, three rows in four carry the
#     key-value task and the answer loss weighs more, the recall loss less (it asks the memory to
#     hold the latest chunk verbatim, which competes with carrying facts further)
#     (STAGE2_MINUTES, default 80; STAGE2_STEPS, default 8000).
# The key-value distance grows when answers at the current distance are right (adaptive).
# Resumable: run it again and each stage continues from its ckpt.pt (elapsed training time is kept
# in the checkpoint); a finished stage returns at once.
# MEMSTREAM_THREADS: torch threads (default 1). On the 2-core machine two threads measured 17k
# tokens/s when nothing else ran, but 217 tokens/s against 1537 for one while Java builds ran
# (barrier stalls): use 2 only on an otherwise idle machine.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
export MEMSTREAM_THREADS="${MEMSTREAM_THREADS:-1}"
model='{"d_model": 128, "n_layers": 2, "n_heads": 4, "memory_slots": 16, "chunk_length": 64, "max_new_tokens": 64, "mem_layers": 1}'
common=(--model-config "$model" --data kjv,jargon --batch-size 12 --n-chunks 6 --bptt 6 --time-schedule
        --kv-facts 2 --kv-max-distance 5 --curriculum-adaptive --w-lm 1 --w-mem 0.5 --w-vic 0.1
        --log-every 20 --ckpt-every 200 --threads "$MEMSTREAM_THREADS")
stage1="$here/runs/default"
stage2="$here/runs/stage2"
mkdir -p "$stage1" "$stage2"
"$py" -m memstream_model train --out "$stage1" --resume --seed 0 "${common[@]}" \
  --lr 2e-3 --max-steps "${MAX_STEPS:-6000}" --max-minutes "${MAX_MINUTES:-70}" \
  --kv-fraction 0.5 --w-kv 2 --w-recall 1
"$py" -m memstream_model train --out "$stage2" --resume --seed 1 --init-from "$stage1/ckpt.pt" "${common[@]}" \
  --lr 1.5e-3 --warmup 100 --max-steps "${STAGE2_STEPS:-8000}" --max-minutes "${STAGE2_MINUTES:-80}" \
  --kv-fraction 0.75 --w-kv 3 --w-recall 0.3
"$py" -m memstream_model eval --checkpoint "$stage2/ckpt.pt" --out "$stage2/eval.json" | tee "$stage2/eval.txt"
