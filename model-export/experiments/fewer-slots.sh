#!/usr/bin/env bash
# Issue 2 (model-export/README.md, "What was tried"): the default model's pipeline
# (train-default.sh, stages 1-3 and evaluation, no export) with SLOTS memory slots instead of 16,
# from scratch, into runs/slotsSLOTS/. The binding probe found the default's write reading the
# chunk in windows of about 64 / 16 = 4 positions: a fact's key and first two value digits land in
# one slot, its third digit in the next, which holds both facts' third digits. With 8 slots a slot's
# window is 8 positions, the length of a fact ("@kq=381;").
#   model-export/experiments/fewer-slots.sh SLOTS [STAGE2_MINUTES]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="runs/slots$1" MODEL_SET="{\"memory_slots\": $1}" MEMORY_MINUTES="${2:-75}" EXPORT=none \
  exec "$here/train-default.sh"
