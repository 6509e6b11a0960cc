#!/usr/bin/env bash
# Issue 2 (model-export/README.md, "What was tried"): a further stage from stage 2's weights
# (runs/memory; FROM=runs/anywhere starts from the default's own, stage 3) with the model grown by
# GROW_JSON, extensions that start as the identity (rmt's identity_extensions: more predictor layers, more memory-module layers, ...), on the memory task as
# in stage 2 with FACTS facts per row and IN_CONTEXT of them asked in their own chunk; then
# evaluation as the default's (two facts, distances 1..32).
#   model-export/experiments/grown-stage.sh RUN GROW_JSON FACTS IN_CONTEXT [MINUTES [train flags...]]
# (MINUTES default 55), e.g.
#   grown-stage.sh layers3-facts2 '{"n_layers": 3}' 2 0.25       (a third predictor layer)
#   grown-stage.sh memlayers2 '{"mem_layers": 2}' 2 0.25         (a second memory-module block)
#   grown-stage.sh offset40 '{}' 2 0.25 55 --kv-offset 40        (facts anywhere in their chunk)
#   FROM=runs/anywhere SEED=4 grown-stage.sh fullmix '{"write_context_full": true}' 2 0.25 55 --kv-offset 40
# SEED (default 3) seeds the stage's data and sampling.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/setup-env.sh" >/dev/null
py="$(cat "$here/.python")"
cd "$here"
from="${FROM:-runs/memory}"
run="$here/runs/$1" grow="$2" facts="$3" in_context="$4" minutes="${5:-55}"
shift $(($# < 5 ? $# : 5))
model="$("$py" -c "import json, sys; m = json.loads(sys.argv[1]); m.update(json.loads(sys.argv[2])); print(json.dumps(m))" \
  "$("$py" -c "import json, sys, torch; print(json.dumps(torch.load(sys.argv[1] + '/ckpt.pt', weights_only=False)['model_config']))" "$from")" "$grow")"
. "$here/memory-task.sh"
"$py" -m memstream_model train --out "$run" --resume --seed "${SEED:-3}" --init-from "$from/ckpt.pt" "${memory_task[@]}" \
  --model-config "$model" --kv-facts "$facts" --kv-in-context "$in_context" --curriculum-frac 0.02 \
  --lr 1e-3 --max-steps "${STEPS:-12000}" --max-minutes "$minutes" --threads "${MEMSTREAM_THREADS:-1}" "$@"
"$py" -m memstream_model eval --checkpoint "$run/ckpt.pt" --facts 2 --out "$run/eval.json" | tee "$run/eval.txt"
