#!/usr/bin/env bash
# Builds the test classes and prints a class path for running the reliability tests outside Maven:
# the compiled classes are copied to stream-app/target/reliability/classes-<name>/, so a long run is
# not disturbed by later builds in the same tree. Usage: classpath.sh NAME
set -euo pipefail
cd "$(dirname "$0")/../.."
name="${1:?name}"
out=stream-app/target/reliability
mkdir -p "$out"
# shellcheck disable=SC2086
nice -n 19 ./mvnw -B -ntp -q ${MEMSTREAM_MVN_FLAGS:-} -pl stream-app -am test-compile \
  dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$out/dependencies.txt" >&2
rm -rf "$out/classes-$name"
mkdir -p "$out/classes-$name"
cp -r stream-app/target/classes "$out/classes-$name/main"
cp -r stream-app/target/test-classes "$out/classes-$name/test"
echo "$PWD/$out/classes-$name/test:$PWD/$out/classes-$name/main:$(cat "$out/dependencies.txt")"
