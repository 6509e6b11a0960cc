#!/usr/bin/env bash
# Regenerate models/tiny: a seeded, randomly initialised model for the Java side's tests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
"$py" -m memstream_model export --arch rmt --seed 0 \
  --model-config '{"d_model": 48, "n_layers": 2, "n_heads": 4, "memory_slots": 8, "chunk_length": 32, "max_new_tokens": 32, "mlp_ratio": 2}' \
  --out "$here/../models/tiny"
