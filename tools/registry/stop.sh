#!/usr/bin/env bash
# Stops the registry that start.sh <port> started (by the pid it recorded).
#   usage: tools/registry/stop.sh <port>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pidfile="$here/target/run-${1:?usage: $0 <port>}/pid"
[ -f "$pidfile" ] || { echo "no registry started by start.sh on port $1" >&2; exit 0; }
pid="$(cat "$pidfile")"
if kill "$pid" 2>/dev/null; then
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
fi
rm -f "$pidfile"
