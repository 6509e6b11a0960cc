#!/usr/bin/env bash
# The model-export test command: sets up Python by itself, then runs the pytest suite.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/setup-env.sh"
py="$(cat "$here/.python")"
cd "$here"
exec "$py" -m pytest -q "$@"
