#!/usr/bin/env bash
# Runs every test of memstream: model-export's pytest suite, then the Java build with all its tests
# (unit, TopologyTestDriver, model parity, integration against a real in-JVM Kafka broker, and the
# registry tests against a real Confluent-compatible registry that this script starts).
#
# MEMSTREAM_IT_REGISTRY_URL=<url> uses a registry you already run instead of starting one;
# MEMSTREAM_IT_REGISTRY_URL=none skips the real-registry tests.
set -euo pipefail
cd "$(dirname "$0")"

echo "== model-export (pytest)"
model-export/run-tests.sh
echo "== bench (pytest: bench/report.py's targets table)"
"$(cat model-export/.python)" -m pytest -q -p no:cacheprovider bench/tests

registry_port=""
if [ -z "${MEMSTREAM_IT_REGISTRY_URL:-}" ]; then
  echo "== starting a real schema registry for the integration tests (tools/registry)"
  registry_port=18081
  trap 'tools/registry/stop.sh "$registry_port" >/dev/null 2>&1 || true' EXIT
  MEMSTREAM_IT_REGISTRY_URL="$(tools/registry/start.sh "$registry_port")"
elif [ "$MEMSTREAM_IT_REGISTRY_URL" = none ]; then
  unset MEMSTREAM_IT_REGISTRY_URL
fi
export MEMSTREAM_IT_REGISTRY_URL

echo "== stream-app (maven verify)${MEMSTREAM_IT_REGISTRY_URL:+, registry at $MEMSTREAM_IT_REGISTRY_URL}"
./mvnw -B -ntp verify
