"""One line per end-to-end result of a directory (bench/ab-commits.sh and the like write them): what
an A/B of two commits or settings is read from.

Per file: absorbed (and generated) tokens/s, chunks/s and seconds timed, the engine alone's tokens/s
at the configured batch and the run's ratio to it (and that ratio's two factors: the model's cores over the
engine alone's, and the tokens a model core absorbed over the engine alone's), p50 and p99 latency and how many single seconds had a
p99 over 250 ms (of how many), the cores of the model's threads, the stream thread, the broker and
Kafka's client network threads, the stream thread's CPU per chunk (its cores over chunks/s), ONNX
Runtime's pool threads: what the process used beyond its Java threads and the known native ones
(collector, compilers, RocksDB), i.e. "gc, jit, onnx runtime pools, rocksdb" less those; and how often the
stream thread committed and the share of its time in punctuation.

    python3 bench/ab_table.py bench/results/worker-one-core [NAME_PREFIX]
"""
import glob
import json
import os
import sys


def seconds_over(by_second, ms):
    """'k of n': the seconds of the run whose own p99 latency was over ms."""
    return f"{sum(1 for s in by_second if s['p99_ms'] > ms)} of {len(by_second)}"


def row(r):
    cpu = r["cpu"]
    groups = cpu["cores_by_group"]
    chunks = r["chunks_per_s"]
    batch = r["ratios"].get("configured_batch")
    pools = groups["gc, jit, onnx runtime pools, rocksdb"] - sum(cpu["unlisted_known_native_cores"].values())
    engine = (r.get("engine_alone") or {}).get(f"batch_{batch}") or {}
    # a generating run's engine alone generates too, and names its absorb rate so
    engine_rate = engine.get("absorbed_tokens_per_s", engine.get("absorbed_tokens_per_s_with_generation"))
    thread = r.get("stream_thread_times") or {}
    # counted over the measured window where the result has it (since run P), not Streams' recent windows
    counts = r.get("stream_thread_counts") or {}
    broker = broker_cores(groups)
    return {
        "absorbed_tokens_per_s": round(r["absorbed_tokens_per_s"]),
        "generated_tokens_per_s": round(r.get("generated_tokens_per_s") or 0),
        "chunks_per_s": round(chunks, 1),
        "seconds": r.get("seconds"),
        "engine_alone_tokens_per_s": round(engine_rate) if engine_rate is not None else None,
        "e2e_over_engine": r["ratios"].get(f"e2e_over_engine_batch_{batch}"),
        # the ratio's two factors (results since run Q): the model's cores over the engine alone's, and
        # the tokens each of its cores absorbed over the engine alone's
        "model_cores_over_engine": r["ratios"].get(f"model_cores_e2e_over_engine_batch_{batch}"),
        "tokens_per_model_core_over_engine": r["ratios"].get(f"tokens_per_model_core_e2e_over_engine_batch_{batch}"),
        "engine_alone_model_cores": engine.get("model_cores"),
        "latency_p50_ms": r.get("latency_p50_ms"),
        "latency_p99_ms": r.get("latency_p99_ms"),
        "seconds_p99_over_250ms": seconds_over(r.get("latency_by_second") or [], 250.0),
        "model_cores": groups["model threads"],
        "stream_thread_cores": groups["stream threads"],
        "broker_cores": broker,
        # the broker's CPU a chunk: what a commit and a chunk's records cost it (run R: the memory's bytes)
        "broker_us_per_chunk": round(broker / chunks * 1e6, 1) if chunks and broker else None,
        "network_thread_cores": groups.get("kafka client network threads"),
        "stream_thread_us_per_chunk": round(groups["stream threads"] / chunks * 1e6, 1) if chunks else None,
        "ort_pool_cores": round(max(pools, 0.0), 3),
        "process_cores": cpu["process_cores"],
        "commits_per_s": counts.get("commits_per_s", thread.get("commit_rate")),
        "polls_per_s": counts.get("polls_per_s"),
        "step_parts_waiting_share": parts_waiting_share(r),
        "punctuate_ratio": thread.get("punctuate_ratio"),
    }


def parts_waiting_share(r):
    """The share of the model step parts' time spent waiting for a piece (one part per model thread)."""
    waiting, seconds = r.get("step_parts_waiting_s"), r.get("seconds")
    parts = (r.get("settings") or {}).get("model_threads")
    if waiting is None or not seconds or not parts:
        return None
    return round(waiting / (parts * seconds), 3)


def broker_cores(groups):
    """The broker's cores: its threads in memstream's JVM, or its own JVM's (bench e2e --broker-jvm)."""
    inside = groups.get("broker (and other java threads)")
    if "broker process" in groups:
        return round(groups["broker process"] + (inside or 0.0), 3)
    return inside


def main():
    d = sys.argv[1]
    prefix = sys.argv[2] if len(sys.argv) > 2 else ""
    rows = []
    for f in sorted(glob.glob(os.path.join(d, prefix + "*.json"))):
        with open(f, encoding="utf-8") as fh:
            r = json.load(fh)
        if "cpu" in r and "chunks_per_s" in r:
            rows.append((os.path.basename(f), row(r)))
    if not rows:
        sys.exit(f"no end-to-end results in {d}")
    keys = list(rows[0][1])
    print("| file | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, v in rows:
        print(f"| {name} | " + " | ".join(str(v[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
