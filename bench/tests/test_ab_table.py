"""bench/ab_table.py: the figures an A/B is read from, derived from an end-to-end result."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import ab_table  # noqa: E402


def result(stream_cores, chunks, group, known):
    return {
        "absorbed_tokens_per_s": 50000.4, "chunks_per_s": chunks, "latency_p99_ms": 321.0,
        "ratios": {"configured_batch": 1, "e2e_over_engine_batch_1": 0.6},
        "cpu": {"process_cores": 1.8, "unlisted_known_native_cores": known,
                "cores_by_group": {"model threads": 1.3, "stream threads": stream_cores,
                                   "gc, jit, onnx runtime pools, rocksdb": group}},
    }


def test_stream_thread_per_chunk_and_pools_beyond_the_known_native_threads():
    r = ab_table.row(result(0.2, 800.0, 0.36, {"gc": 0.02, "jit": 0.05}))
    assert r["stream_thread_us_per_chunk"] == 250.0
    assert r["ort_pool_cores"] == 0.29
    assert r["e2e_over_engine"] == 0.6 and r["absorbed_tokens_per_s"] == 50000


def test_seconds_whose_p99_was_over_250_ms():
    r = result(0.1, 1000.0, 0.05, {})
    r["latency_by_second"] = [{"p99_ms": 249.0}, {"p99_ms": 251.0}, {"p99_ms": 400.0}]
    assert ab_table.row(r)["seconds_p99_over_250ms"] == "2 of 3"


def test_pools_never_below_zero():
    assert ab_table.row(result(0.1, 1000.0, 0.05, {"jit": 0.06}))["ort_pool_cores"] == 0.0
