#!/usr/bin/env bash
# The write-context experiment of issue 2 (model-export/README.md, "What was tried"): from the
# former default model's stage-2 weights (experiments/former-default.sh must have run), switch on rmt's
# token shift over 3 lags (a query's "=" sees the key "kq" before it) and its write context (the
# memory write sees each position with its 6 predecessors, so a slot holding a fact's value also
# sees its key); both start as the identity. Train on the committed model's two-fact task with a
# share of in-context lookups; then evaluate, first-asked fact included.
#   model-export/experiments/write-context.sh [MINUTES]     (default 90; STEPS default 12000)
set -euo pipefail
model='{"d_model": 128, "n_layers": 2, "n_heads": 4, "memory_slots": 16, "chunk_length": 64, "max_new_tokens": 64, "mem_layers": 1, "token_shift": 3, "write_context": 6}'
exec "$(dirname "$0")/from-stage2.sh" write-context "${1:-90}" "$model" 3 --kv-facts 2 --kv-in-context 0.25
