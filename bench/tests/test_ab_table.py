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


def test_engine_alone_broker_and_stream_thread_figures_are_read_from_the_result():
    r = result(0.2, 800.0, 0.36, {})
    r["engine_alone"] = {"batch_1": {"absorbed_tokens_per_s": 85398.34}, "batch_4": {"absorbed_tokens_per_s": 1.0}}
    r["cpu"]["cores_by_group"]["broker (and other java threads)"] = 0.19
    r["stream_thread_times"] = {"commit_rate": 7.5, "punctuate_ratio": 0.02}
    row = ab_table.row(r)
    assert row["engine_alone_tokens_per_s"] == 85398  # the configured batch's, not another formed batch's
    assert row["broker_cores"] == 0.19 and row["stream_thread_cores"] == 0.2
    assert row["broker_us_per_chunk"] == 237.5  # 0.19 cores over 800 chunks/s
    assert row["commits_per_s"] == 7.5 and row["punctuate_ratio"] == 0.02


def test_commits_and_polls_counted_over_the_measured_window_come_before_streams_windowed_rate():
    r = result(0.2, 800.0, 0.36, {})
    r["stream_thread_times"] = {"commit_rate": 2.1}
    r["stream_thread_counts"] = {"commits": 80.0, "commits_per_s": 7.9, "polls": 120.0, "polls_per_s": 11.9}
    row = ab_table.row(r)
    assert row["commits_per_s"] == 7.9 and row["polls_per_s"] == 11.9


def test_the_step_parts_waiting_share_is_their_wait_over_parts_times_the_window():
    r = result(0.2, 800.0, 0.36, {})
    r.update({"step_parts_waiting_s": 0.229, "seconds": 7.923, "settings": {"model_threads": 2}})
    assert ab_table.row(r)["step_parts_waiting_share"] == 0.014
    assert ab_table.row(result(0.2, 800.0, 0.36, {}))["step_parts_waiting_share"] is None


def test_a_result_without_those_figures_still_has_a_row():
    row = ab_table.row(result(0.1, 1000.0, 0.05, {}))
    assert row["engine_alone_tokens_per_s"] is None and row["broker_cores"] is None and row["commits_per_s"] is None


def test_a_generating_runs_engine_alone_is_its_absorb_rate_with_generation():
    r = result(0.1, 400.0, 0.05, {})
    r["engine_alone"] = {"batch_1": {"absorbed_tokens_per_s_with_generation": 34094.0, "generated_tokens_per_s": 18047.2}}
    assert ab_table.row(r)["engine_alone_tokens_per_s"] == 34094


def test_a_broker_in_its_own_jvm_counts_that_process_and_its_threads_left_in_memstreams():
    r = result(0.1, 1000.0, 0.05, {})
    r["cpu"]["cores_by_group"].update({"broker (and other java threads)": 0.01, "broker process": 0.12})
    assert ab_table.row(r)["broker_cores"] == 0.13


def test_the_ratios_two_factors_are_read_at_the_configured_batch():
    r = result(0.1, 1000.0, 0.05, {})
    r["ratios"].update({"model_cores_e2e_over_engine_batch_1": 0.78, "tokens_per_model_core_e2e_over_engine_batch_1": 1.02,
                        "model_cores_e2e_over_engine_batch_4": 0.5})
    r["engine_alone"] = {"batch_1": {"absorbed_tokens_per_s": 1.0, "model_cores": 1.93}}
    row = ab_table.row(r)
    assert row["model_cores_over_engine"] == 0.78 and row["tokens_per_model_core_over_engine"] == 1.02
    assert row["engine_alone_model_cores"] == 1.93
    assert ab_table.row(result(0.1, 1000.0, 0.05, {}))["model_cores_over_engine"] is None
