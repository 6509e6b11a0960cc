#!/usr/bin/env bash
# Regenerate the seeded, randomly initialised test models for the Java side's tests:
#   models/tiny           architecture rmt (the default architecture)
#   models/tiny-fam       architecture fam (TransformerFAM), same contract, no Java change
#   models/tiny-infinity  architecture infinity (infinity-former with sticky memories)
# Each stays < 3 MB; the same seed gives the same files (and fingerprint). Golden outputs are
# bit-for-bit only at the same thread count (float reduction order), hence the fixed 2 threads.
set -euo pipefail
export MEMSTREAM_THREADS=2
here="$(cd "$(dirname "$0")" && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
common='"d_model": 48, "n_layers": 2, "n_heads": 4, "memory_slots": 8, "chunk_length": 32, "max_new_tokens": 32, "mlp_ratio": 2'
"$py" -m memstream_model export --arch rmt --seed 0 --model-config "{$common}" --out "$here/../models/tiny"
"$py" -m memstream_model export --arch fam --seed 0 --model-config "{$common}" --out "$here/../models/tiny-fam"
if "$py" -m memstream_model info | grep -qw infinity; then
  # a short short-term memory keeps the golden vectors (and the test model) under 2 MB
  "$py" -m memstream_model export --arch infinity --seed 0 --model-config "{$common, \"stm_length\": 4}" \
    --out "$here/../models/tiny-infinity"
fi
