#!/usr/bin/env bash
# Two commits of memstream against each other, alternating: builds each commit's jar in a git
# worktree (under ${TMPDIR:-/tmp}), then runs the same `memstream bench` command on each jar in turn,
# ROUNDS times, into $BENCH_OUT/NAME_old_<round>.json and NAME_new_<round>.json. For changes that have
# no setting to turn them off (bench/overlap.sh and the like compare settings of one jar).
# Usage: BENCH_OUT=DIR bench/ab-commits.sh OLD_REV NEW_REV ROUNDS NAME <memstream bench arguments...>
#   e.g. bench/ab-commits.sh 29ebfb4 HEAD 3 warm --model models/default --threads 2 e2e --engine-s 2 \
#            --streams 256 --chunks 48 --ahead-warmup-s 20 -D batch.max.size=32
source "$(dirname "$0")/lib.sh"
old="$1" new="$2" rounds="$3" name="$4"
shift 4
out="$(bench_out)"
jar() { # jar REV: builds REV's jar once, prints its path
  local rev dir
  rev="$(git rev-parse --short "$1")"
  dir="${TMPDIR:-/tmp}/memstream-ab-$rev"
  if [ ! -f "$dir/stream-app/target/memstream.jar" ]; then
    git worktree add --force --detach "$dir" "$rev" >&2
    (cd "$dir" && ./mvnw -B -ntp -q -o -DskipTests package >&2)
  fi
  echo "$dir/stream-app/target/memstream.jar"
}
old_jar="$(jar "$old")"
new_jar="$(jar "$new")"
old_rev="$(git rev-parse --short "$old")"
new_rev="$(git rev-parse --short "$new")"
for round in $(seq 1 "$rounds"); do
  for side in old new; do
    j="${side}_jar"
    r="${side}_rev"
    "${memstream_jvm[@]}" -Dmemstream.source.rev="${!r}" -jar "${!j}" bench "$@" \
        --out "$out/${name}_${side}_$round.json"
  done
done
echo "bench: $name, $old against $new, in $out" >&2
