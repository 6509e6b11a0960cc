#!/usr/bin/env bash
# Starts a real Schema Registry with the Confluent-compatible API (Apicurio 2.4.2, in-memory) on
# 127.0.0.1:<port>, building it first when needed (about 60 s and 208 MB of downloads when Maven's
# cache is cold, 12 s warm). Returns once the registry answers, and prints its Confluent API base URL,
# ready for -Dmemstream.it.registry.url / MEMSTREAM_IT_REGISTRY_URL. Stop it with stop.sh <port>.
#
#   usage: tools/registry/start.sh <port>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${1:?usage: $0 <port>}"
host="${REGISTRY_HOST:-127.0.0.1}"
base="http://$host:$port/apis/ccompat/v7"
runtime="$here/target/run-$port"

runner() { ls "$here"/target/*-runner.jar 2>/dev/null | head -n 1; }

# Whether the registry's Confluent API answers (curl when there is one, else bash's /dev/tcp).
answers() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null "$base/subjects" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/$host/$port" &&
      printf 'GET /apis/ccompat/v7/subjects HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" >&3 &&
      head -n 1 <&3 | grep -q ' 200 ') 2>/dev/null
  fi
}

needs_build() {
  local jar; jar="$(runner)"
  [ -z "$jar" ] && return 0
  [ "$here/pom.xml" -nt "$jar" ] || [ "$here/src/main/resources/application.properties" -nt "$jar" ]
}

if needs_build; then
  echo "building the test registry (Apicurio 2.4.2 on Quarkus) ..." >&2
  "$repo/mvnw" -B -ntp -q -f "$here/pom.xml" -s "$here/settings.xml" -DskipTests package >&2
fi

if answers; then
  echo "port $port already answers as a registry; not starting another" >&2
  echo "$base"
  exit 0
fi

mkdir -p "$runtime"
# H2 waits 1 s for a table lock by default; on a busy 2-core machine two registrations at once
# overran it and the registry answered 500 (a CI run on 2026-12-06: "Timeout trying to lock table").
REGISTRY_DATASOURCE_URL="jdbc:h2:mem:registry_db;LOCK_TIMEOUT=10000" \
nohup java -Xmx384m -Dquarkus.http.port="$port" -Dquarkus.http.host="$host" \
  -jar "$(runner)" >"$runtime/registry.log" 2>&1 </dev/null &
echo $! >"$runtime/pid"

for _ in $(seq 1 240); do
  if answers; then
    echo "$base"
    exit 0
  fi
  if ! kill -0 "$(cat "$runtime/pid")" 2>/dev/null; then
    echo "the registry exited during start; its log:" >&2
    tail -n 40 "$runtime/registry.log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "the registry did not answer at $base within 120 s; log: $runtime/registry.log" >&2
exit 1
