"""bench/report.py's targets table: each row judged from the JSON a benchmark writes."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import report  # noqa: E402


def write(d, name, obj):
    with open(os.path.join(d, name), "w") as f:
        json.dump(obj, f)


def engine(gen_speedup, cached_speedups):
    return {"batched_generation": {"streams": 32, "new_tokens_per_stream": 64, "speedup": gen_speedup},
            "cached_vs_recompute": [{"new_tokens": 64, "batch": b, "speedup": s} for b, s in cached_speedups]}


def e2e(batch, formed, steady, whole):
    return {"settings": {"batch_max_size": batch}, "mean_batch_size": formed,
            "ratios": {f"e2e_over_engine_batch_{batch}": 0.1, f"steady_e2e_over_engine_batch_{batch}": 0.1,
                       f"e2e_over_engine_batch_{round(formed)}": whole,
                       f"steady_e2e_over_engine_batch_{round(formed)}": steady, "configured_batch": batch}}


def row(table, start):
    lines = [line for line in table.splitlines() if line.startswith("| " + start)]
    assert len(lines) == 1, table
    return lines[0]


def test_each_target_is_judged_against_its_threshold(tmp_path):
    d = str(tmp_path)
    write(d, "engine.json", engine(5.2, [(1, 7.0), (8, 14.0)]))
    write(d, "engine_spinning.json", engine(4.9, [(1, 4.0), (8, 12.0)]))
    write(d, "python_baseline.json", {"ratio_table": [
        {"graph": "step", "batch": 32, "java_over_pytorch": 1.4, "java_tokens_per_s": 1.4e5, "pytorch_eager_tokens_per_s": 1e5}]})
    write(d, "e2e_batch32.json", e2e(32, 27.6, steady=0.85, whole=0.81))
    write(d, "e2e_paced_half_peak.json", {"steady_latency_p99_ms": 180.0, "latency_p99_ms": 240.0, "chunks_per_s": 300.0})
    write(d, "state.json", {"by_length": [{"chunks": 1, "fp32_value_bytes": 8295}, {"chunks": 256, "fp32_value_bytes": 8298}]})
    table = report.targets(d)

    java = row(table, "Java")
    assert "both spinning: 1.40x (first: 140000 against 100000 tokens/s)" in java and java.endswith("| **no** |")
    assert "both passive" not in java  # no file, no claim
    assert "steady 0.85, whole run 0.81 (formed batch 28)" in row(table, "end-to-end")
    assert row(table, "end-to-end").endswith("| yes |")
    gen = row(table, "batched generation")
    assert "spinning off: 5.20x" in gen and "spinning on: 4.90x" in gen and gen.endswith("| **no** |")
    cached = row(table, "cached decoding")
    assert "spinning on: 4.00x at batch 1, 12.00x at batch 8, **no**" in cached
    assert row(table, "p99").endswith("| yes |")
    assert row(table, "state").endswith("| yes |")


def test_latency_and_state_fail_when_over_their_bounds(tmp_path):
    d = str(tmp_path)
    write(d, "e2e_paced_half_peak.json", {"steady_latency_p99_ms": 180.0, "latency_p99_ms": 900.0, "chunks_per_s": 300.0})
    write(d, "state.json", {"by_length": [{"chunks": 1, "fp32_value_bytes": 8295}, {"chunks": 256, "fp32_value_bytes": 9000}]})
    table = report.targets(d)
    assert "whole run p99 900 ms, **no**" in row(table, "p99")
    assert row(table, "state").endswith("| **no** |")
    assert "Java" not in table  # rows without results are left out


def test_repeats_are_judged_on_their_median(tmp_path):
    d = str(tmp_path)
    write(d, "e2e_tuned.json", e2e(32, 31.6, steady=0.79, whole=0.78))
    write(d, "e2e_tuned_repeat2.json", e2e(32, 31.7, steady=0.86, whole=0.85))
    write(d, "e2e_tuned_repeat3.json", e2e(32, 31.8, steady=0.92, whole=0.91))
    write(d, "e2e_tuned_gen.json", e2e(32, 28.0, steady=0.1, whole=0.1))  # another run, not a repeat
    write(d, "e2e_batch32_gen.json", e2e(32, 28.0, steady=0.80, whole=0.72))
    write(d, "e2e_batch32_gen_repeat1.json", e2e(32, 28.0, steady=0.86, whole=0.81))
    write(d, "e2e_batch32_gen_repeat2.json", e2e(32, 28.0, steady=0.88, whole=0.83))
    pace = lambda whole: {"steady_latency_p99_ms": 180.0, "latency_p99_ms": whole, "chunks_per_s": 330.9}
    write(d, "e2e_paced_half_peak.json", pace(281.0))
    write(d, "e2e_paced_half_peak_repeat.json", pace(226.0))
    write(d, "e2e_paced_half_peak_repeat2.json", pace(240.0))
    table = report.targets(d)
    e2e_row = row(table, "end-to-end")
    assert "steady 0.86 (median of 0.79, 0.86, 0.92), whole run 0.85 (median of 0.78, 0.85, 0.91)" in e2e_row
    assert "defaults, generating: steady 0.86 (median of 0.8, 0.86, 0.88), whole run 0.81" in e2e_row
    assert e2e_row.endswith("| yes |")
    p99 = row(table, "p99")
    assert "whole run p99 240 ms (median of 281, 226, 240) ms" not in p99
    assert "whole run p99 240 (median of 281, 226, 240) ms, yes" in p99 and p99.endswith("| yes |")
    write(d, "e2e_paced_half_peak_repeat3.json", pace(300.0))
    assert row(report.targets(d), "p99").endswith("| **no** |")  # median of four: 260.5


def test_java_against_pytorch_repeats_are_judged_on_their_median(tmp_path):
    d = str(tmp_path)
    step = lambda ratio: {"ratio_table": [{"graph": "step", "batch": 8, "java_over_pytorch": 9.0, "java_tokens_per_s": 9,
                                            "pytorch_eager_tokens_per_s": 1},
                                           {"graph": "step", "batch": 32, "java_over_pytorch": ratio,
                                            "java_tokens_per_s": ratio * 1e5, "pytorch_eager_tokens_per_s": 1e5}]}
    write(d, "python_baseline.json", step(1.47))
    write(d, "python_baseline_repeat1.json", step(1.55))
    write(d, "python_baseline_omp_passive.json", step(2.2))  # the other pairing, not a repeat
    java = row(report.targets(d), "Java")
    assert "both spinning: 1.51x (median of 1.47x, 1.55x) (first: 147000 against 100000 tokens/s), yes" in java
    assert "both passive: 2.20x" in java and java.endswith("| yes |")
    write(d, "python_baseline_repeat2.json", step(1.40))
    java = row(report.targets(d), "Java")
    assert "both spinning: 1.47x (median of 1.47x, 1.55x, 1.40x)" in java and java.endswith("| **no** |")


def test_the_broker_cores_include_its_own_jvm_when_it_ran_apart():
    r = {"cpu": {"process_cores": 1.7, "unlisted_known_native_cores": {"jit": 0.01},
                 "cores_by_group": {"model threads": 1.5, "stream threads": 0.12,
                                    "broker (and other java threads)": 0.02, "broker process": 0.11}}}
    assert report.cpu_cores(r) == "1.50 / 0.12 / 0.13 / 0.01 / 1.70"


# A run judged beside another: (its file, its label, the other's file, the other's label, formed batch).
BESIDE = [("e2e_batch32_gen_warm.json", "defaults, generating, warm", "e2e_batch32_gen.json", "defaults, generating", 29.2),
          ("e2e_batch32_warm_fp16.json", "float16 state, warm", "e2e_batch32_warm.json", "defaults, warm", 31.9),
          ("e2e_batch32_warm_fp32.json", "float32 state, warm", "e2e_batch32_warm.json", "defaults, warm", 31.9)]


@pytest.mark.parametrize("name,label,other,other_label,formed", BESIDE)
def test_a_run_is_judged_as_a_configuration_of_its_own(tmp_path, name, label, other, other_label, formed):
    d = str(tmp_path)
    write(d, other, e2e(32, formed, steady=0.78, whole=0.76))
    write(d, name, e2e(32, formed, steady=0.86, whole=0.83))
    end_to_end = row(report.targets(d), "end-to-end")
    b = round(formed)
    assert f"{other_label}: steady 0.78, whole run 0.76 (formed batch {b}), **no** steady" in end_to_end
    assert f"{label}: steady 0.86, whole run 0.83 (formed batch {b}), yes steady, yes whole" in end_to_end
    assert end_to_end.endswith("| **no** |")  # the other run still misses


def test_the_ratios_factors_are_the_medians_at_the_formed_batch(tmp_path):
    d = str(tmp_path)
    for i, (share, per_core) in enumerate([(0.78, 0.99), (0.8, 0.95), (0.75, 1.01)]):
        r = e2e(32, 31.0, steady=0.8, whole=0.78)
        r["ratios"].update({"model_cores_e2e_over_engine_batch_32": 0.1, "model_cores_e2e_over_engine_batch_31": share,
                            "tokens_per_model_core_e2e_over_engine_batch_32": 0.1,
                            "tokens_per_model_core_e2e_over_engine_batch_31": per_core})
        write(d, "e2e_batch32.json" if i == 0 else f"e2e_batch32_repeat{i}.json", r)
    write(d, "e2e_batch1.json", e2e(1, 1.0, steady=0.8, whole=0.8))  # an older result: no factors
    e2e_row = row(report.targets(d), "end-to-end")
    assert "(the model had 0.78 of the engine alone's cores and absorbed 0.99 of its tokens per core)" in e2e_row
    assert e2e_row.count("the model had") == 1


def test_the_state_section_gives_the_codec_times_when_the_result_has_them():
    r = {"environment": {"command": "memstream bench state", "cpus": 2, "load_average_at_start": 1.0},
         "state_values": 2048, "stream_id": "s", "key_bytes": 1,
         "by_length": [{"chunks": 1, "tokens": 64, "fp32_value_bytes": 8295, "fp32_changelog_record_bytes": 8296,
                        "fp16_value_bytes": 4198, "fp16_changelog_record_bytes": 4199}],
         "fp16_error": {"chunks": 1, "max_abs_diff_bits_per_byte": 1e-5, "mean_bits_per_byte_fp32": 1.0,
                        "mean_bits_per_byte_fp16": 1.0}}
    assert "codec" not in report.state(r)
    r["codec"] = {"rounds": 21, "calls_per_round": 2000,
                  "by_dtype": [{"dtype": "float32", "encode_us": 4.25, "decode_us": 1.2},
                               {"dtype": "float16", "encode_us": 5.3, "decode_us": 4.4}]}
    assert "(median of 21 rounds of 2000 calls): float32 4.2 / 1.2 us; float16 5.3 / 4.4 us." in report.state(r)


def test_the_median_of_an_even_number_of_runs_prints_as_a_ratio(tmp_path):
    d = str(tmp_path)
    write(d, "e2e_batch32.json", e2e(32, 31.9, steady=0.78, whole=0.723))
    write(d, "e2e_batch32_repeat1.json", e2e(32, 31.9, steady=0.78, whole=0.78))
    end_to_end = row(report.targets(d), "end-to-end")
    assert "whole run 0.752 (median of 0.723, 0.78)" in end_to_end, end_to_end


def test_the_warm_batch_one_run_is_judged_beside_the_cold_one(tmp_path):
    d = str(tmp_path)
    write(d, "e2e_batch1.json", e2e(1, 1.0, steady=0.72, whole=0.7))
    write(d, "e2e_batch1_warm.json", e2e(1, 1.0, steady=0.84, whole=0.82))
    end_to_end = row(report.targets(d), "end-to-end")
    assert "batch.max.size=1: steady 0.72, whole run 0.7 (formed batch 1), **no** steady" in end_to_end, end_to_end
    assert "batch.max.size=1, warm: steady 0.84, whole run 0.82 (formed batch 1), yes steady, yes whole" in end_to_end


def test_the_start_lag_is_the_median_of_the_runs_beside_their_length(tmp_path):
    d = str(tmp_path)
    for i, (lag, seconds) in enumerate([(1.4, 44.0), (0.9, 47.0), (1.1, 52.0)]):
        r = e2e(32, 31.9, steady=0.82, whole=0.81)
        r.update({"start_lag_s": lag, "seconds": seconds})
        write(d, "e2e_batch32.json" if i == 0 else f"e2e_batch32_repeat{i}.json", r)
    write(d, "e2e_batch1.json", e2e(1, 1.0, steady=0.8, whole=0.8))  # an older result: no start lag
    end_to_end = row(report.targets(d), "end-to-end")
    assert "; its start cost 1.1 s against its steady rate in a 47-s run" in end_to_end, end_to_end
    assert end_to_end.count("its start cost") == 1


def test_every_end_to_end_result_run_all_writes_is_in_the_report():
    import re
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "run-all.sh")) as f:
        written = set(re.findall(r'\$out/(e2e_\w+)\.json', f.read()))
    assert "e2e_batch1_warm" in written, written
    assert written <= {name for name, _ in report.E2E_RUNS}, written - {name for name, _ in report.E2E_RUNS}
