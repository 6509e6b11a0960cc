"""bench/pooled.py: a configuration's runs pooled over several directories and judged on their median."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import pooled  # noqa: E402


def result(whole, configured=32, formed=None, engine=(100.0, None)):
    """An end-to-end result whose ratio at the formed batch is `whole`; `engine`: the engine alone's
    rate at the configured and at the formed batch."""
    formed = formed or configured
    ratios = {"configured_batch": configured}
    for b in {configured, formed}:
        ratios.update({f"e2e_over_engine_batch_{b}": whole if b == formed else 0.1,
                       f"steady_e2e_over_engine_batch_{b}": whole,
                       f"model_cores_e2e_over_engine_batch_{b}": 0.8,
                       f"tokens_per_model_core_e2e_over_engine_batch_{b}": 1.0})
    alone = {f"batch_{configured}": {"absorbed_tokens_per_s": engine[0]}}
    if formed != configured:
        alone[f"batch_{formed}"] = {"absorbed_tokens_per_s": engine[1]}
    return {"settings": {"batch_max_size": configured}, "mean_batch_size": formed, "ratios": ratios,
            "engine_alone": alone, "absorbed_tokens_per_s": 1000.0, "chunks_per_s": 500.0, "seconds": 10.0,
            "start_lag_s": 0.5,
            "cpu": {"process_cores": 1.9, "unlisted_known_native_cores": {},
                    "cores_by_group": {"model threads": 1.5, "stream threads": 0.1,
                                       "broker (and other java threads)": 0.2,
                                       "gc, jit, onnx runtime pools, rocksdb": 0.05}}}


def write(d, name, obj):
    with open(os.path.join(d, name), "w") as f:
        json.dump(obj, f)


def line(table, label):
    lines = [x for x in table.splitlines() if x.startswith(f"| {label} |")]
    assert len(lines) == 1, table
    return lines[0]


def test_runs_of_every_directory_are_judged_on_one_median(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    write(a, "e2e_batch32_warm.json", result(0.90))
    write(a, "e2e_batch32_warm_repeat1.json", result(0.70))
    write(b, "e2e_batch32_warm.json", result(0.75))
    # alone, each directory's median would meet 0.8 (a: 0.8) or not (b: 0.75); pooled, 0.75
    row = line(pooled.table([str(a), str(b)]), "defaults, warm")
    assert "| 3 | 0.75 (0.9, 0.7, 0.75) | 1 |" in row
    assert "| 0.8 (0.9, 0.7) | 1 |" in line(pooled.table([str(a)]), "defaults, warm")


def test_the_formed_batch_s_engine_alone_over_the_configured_one(tmp_path):
    write(tmp_path, "e2e_batch32_gen.json", result(0.85, formed=29, engine=(100.0, 120.0)))
    write(tmp_path, "e2e_batch32_gen_repeat1.json", result(0.81, formed=29, engine=(100.0, 90.0)))
    row = line(pooled.table([str(tmp_path)]), "defaults, generating")
    assert "| 0.83 (0.85, 0.81) | 2 |" in row
    assert row.endswith("| 0.90-1.20 |")
