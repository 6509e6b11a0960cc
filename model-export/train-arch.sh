#!/usr/bin/env bash
# Train -> evaluate -> export one of the other architectures into models/<arch> (command of record):
#   ./train-arch.sh fam        TransformerFAM: 8 feedback-memory vectors per layer (8 KiB of state)
#   ./train-arch.sh infinity   infinity-former: 16 basis functions + 16 short-term positions per layer
# Same data, size (d 128, 2 layers, chunk 64) and key-value recall task as the default model
# (train-default.sh), with the losses each design supports: the recall loss needs a memory module
# that can be decoded on its own (rmt only); VICReg is off for infinity, whose state holds raw
# layer inputs (their scale is the embeddings', not a free code). fam trains with random state
# passing, as the TransformerFAM paper found to matter.
# Time-boxed like the default (MAX_MINUTES, default 30; MAX_STEPS, default 4000) and resumable.
set -euo pipefail
arch="${1:?usage: train-arch.sh fam|infinity}"
here="$(cd "$(dirname "$0")" && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
export MEMSTREAM_THREADS="${MEMSTREAM_THREADS:-1}"
case "$arch" in
  fam) model='{"d_model": 128, "n_layers": 2, "n_heads": 4, "memory_slots": 8, "chunk_length": 64, "max_new_tokens": 64}'
       extra=(--w-vic 0.1 --state-passing 0.5) ;;
  infinity) model='{"d_model": 128, "n_layers": 2, "n_heads": 4, "memory_slots": 16, "stm_length": 16, "chunk_length": 64, "max_new_tokens": 64}'
       extra=(--no-vic) ;;
  *) echo "unknown architecture $arch (fam or infinity)" >&2; exit 2 ;;
esac
run="$here/runs/$arch"
mkdir -p "$run"
"$py" -m memstream_model train --arch "$arch" --out "$run" --resume --seed 0 --model-config "$model" \
  --data kjv,jargon --batch-size 12 --n-chunks 6 --bptt 6 --lr 2e-3 --max-steps "${MAX_STEPS:-4000}" --time-schedule \
  --max-minutes "${MAX_MINUTES:-30}" --kv-fraction 0.75 --kv-facts 2 --kv-max-distance 5 --curriculum-adaptive \
  --w-lm 1 --w-kv 3 --no-recall --w-mem 0.5 "${extra[@]}" --log-every 20 --ckpt-every 200 --threads "$MEMSTREAM_THREADS"
"$py" -m memstream_model eval --checkpoint "$run/ckpt.pt" --out "$run/eval.json" | tee "$run/eval.txt"
"$py" -m memstream_model export --checkpoint "$run/ckpt.pt" --eval-json "$run/eval.json" --out "$here/../models/$arch"
# whether memstream may store the state as float16 (the manifest's state_storage; state_storage.py)
"$py" -m memstream_model state-storage "$here/../models/$arch"
cp "$run/eval.txt" "$here/../models/$arch/eval.txt"
