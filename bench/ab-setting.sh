#!/usr/bin/env bash
# One memstream/Streams setting against memstream's default for it, the same jar, alternating, ROUNDS
# times (default 3), on bench/ab-options.sh's two end-to-end runs (warm at batch.max.size=32, and at
# batch.max.size=1). Results in bench/results/NAME (or $BENCH_OUT/NAME) as warm_default_N.json,
# warm_VALUE_N.json, batch1_default_N.json and batch1_VALUE_N.json; compare them with
#   python3 bench/ab_table.py DIR warm ; python3 bench/ab_table.py DIR batch1
# Usage: bench/ab-setting.sh NAME KEY VALUE [ROUNDS]    (about 5 minutes a round; needs the jar)
#   e.g. bench/ab-setting.sh memory-cache memory.cache.max.bytes 0 3
set -euo pipefail
name="$1" key="$2" value="$3" rounds="${4:-3}"
exec "$(dirname "$0")/ab-options.sh" "$name" "$value" "" "-D $key=$value" "$rounds"
