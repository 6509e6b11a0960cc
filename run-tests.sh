#!/usr/bin/env bash
# Runs every test of memstream: model-export's pytest suite, then the Java build with all its tests
# (unit, TopologyTestDriver, model parity, and integration against a real in-JVM Kafka broker).
set -euo pipefail
cd "$(dirname "$0")"
echo "== model-export (pytest)"
model-export/run-tests.sh
echo "== stream-app (maven verify)"
./mvnw -B -ntp verify
