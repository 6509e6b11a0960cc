#!/usr/bin/env bash
# Idempotent Python set-up for model-export. Writes the interpreter to use into .python.
#  1. model-export/.venv with requirements.txt (from the local package index when this machine
#     has one, else from PyPI);
#  2. if pip fails: Debian's python3-torch/python3-onnx/python3-pytest with /usr/bin/python3
#     (no onnxruntime there: tests that need it are skipped with a reason).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
check='import torch, onnx, onnxruntime, numpy, pytest'

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  echo "$venv/bin/python" > "$here/.python"; echo "using $venv"; exit 0
fi

if [ -d /opt/pypi/simple ]; then export PIP_INDEX_URL=file:///opt/pypi/simple; fi
if python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$here/requirements.txt" \
   && "$venv/bin/python" -c "$check"; then
  echo "$venv/bin/python" > "$here/.python"; echo "installed $venv"; exit 0
fi

echo "pip install failed; falling back to Debian packages" >&2
if ! /usr/bin/python3 -c 'import torch, onnx, pytest' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -q >/dev/null && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch python3-onnx python3-pytest \
        python3-numpy libopenblas0-pthread >/dev/null
  fi
fi
if /usr/bin/python3 -c 'import torch, onnx, pytest'; then
  echo /usr/bin/python3 > "$here/.python"; echo "using /usr/bin/python3 (Debian packages)"; exit 0
fi
echo "no usable Python environment for model-export" >&2
exit 1
