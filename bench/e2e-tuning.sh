#!/usr/bin/env bash
# The end-to-end run (256 streams x 32 chunks published ahead, batch.max.size=32) under the settings a
# throughput-minded operator would try, one at a time, each against the engine alone with the same model
# settings: how close each gets to the engine, and where the stream thread's time goes
# (stream_thread_times). Results in bench/results/tuning/*.json; bench/report.py prints them.
# Usage: bench/e2e-tuning.sh      (about 6 minutes; needs the jar, see bench/run-all.sh)
source "$(dirname "$0")/lib.sh"
out="$(bench_out tuning)"
java=("${memstream_bench[@]}")
e2e=(e2e --engine-s 2 --streams 256 --chunks 32 -D batch.max.size=32)
fast=(-D commit.interval.ms=1000 -D state.dtype=float16)
# Kafka's own producer batching (16 KB batches, 5 ms linger), which memstream used before its
# producer default (256 KB batches; MemstreamConfig.PRODUCER_DEFAULTS): what that is worth.
"${java[@]}" --threads 2 "${e2e[@]}" -D producer.batch.size=16384 -D producer.linger.ms=5 --out "$out/kafka_producer_batching.json"
"${java[@]}" --threads 2 "${e2e[@]}" --out "$out/default.json"
"${java[@]}" --threads 2 "${e2e[@]}" -D commit.interval.ms=1000 --out "$out/commit1000.json"
"${java[@]}" --threads 2 "${e2e[@]}" "${fast[@]}" --out "$out/commit1000_fp16.json"
"${java[@]}" --threads 2 "${e2e[@]}" "${fast[@]}" -D model.ort.spinning=true --out "$out/commit1000_fp16_spinning.json"
"${java[@]}" --threads 1 "${e2e[@]}" "${fast[@]}" --out "$out/commit1000_fp16_model1thread.json"
"${java[@]}" --threads 1 "${e2e[@]}" "${fast[@]}" --stream-threads 2 --out "$out/commit1000_fp16_2streamthreads_model1thread.json"
echo "bench: tuning results in $out" >&2
