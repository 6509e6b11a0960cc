"""bench/paired_step.py: each round's ratio from its own pair of runs, the median over rounds."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import paired_step  # noqa: E402
import report  # noqa: E402


def write(d, name, obj):
    with open(os.path.join(d, name), "w") as f:
        json.dump(obj, f)


def java(tps):
    return {"environment": {"started_at": "2026-12-06T00:00:00Z"}, "step": [{"batch": 32, "tokens_per_s": tps}]}


def python(torch_tps, ort_tps=1.0):
    return {"step": [{"batch": 32, "pytorch_eager": {"tokens_per_s": torch_tps},
                      "onnxruntime_python": {"tokens_per_s": ort_tps}}]}


def test_each_round_is_divided_by_its_own_pair_and_the_median_judged(tmp_path):
    d = str(tmp_path)
    # round 1: the machine fast for both; round 2 slow for both; round 3 Java slow only
    for r, (j, t) in enumerate([(100.0, 60.0), (80.0, 50.0), (70.0, 62.0)], start=1):
        write(d, f"java_spinning_{r}.json", java(j))
        write(d, f"python_spinning_{r}.json", python(t))
    write(d, "java_passive_1.json", java(100.0))  # a round with one side only is left out
    result = paired_step.paired(d)
    b = result["policies"]["spinning"]["batches"][0]
    assert [x["round"] for x in b["rounds"]] == [1, 2, 3]
    assert [x["java_over_pytorch"] for x in b["rounds"]] == [1.667, 1.6, 1.129]
    assert b["median_java_over_pytorch"] == 1.6  # the ratio of the medians (80 / 60) would be 1.33
    assert "passive" not in result["policies"]


def test_report_judges_the_java_target_on_the_paired_rounds_when_present(tmp_path):
    d = str(tmp_path)
    write(d, "python_baseline.json", {"ratio_table": [
        {"graph": "step", "batch": 32, "java_over_pytorch": 1.2, "java_tokens_per_s": 1.2e5, "pytorch_eager_tokens_per_s": 1e5}]})
    for r, (j, t) in enumerate([(100.0, 60.0), (90.0, 60.0), (95.0, 60.0)], start=1):
        write(d, f"java_spinning_{r}.json", java(j))
        write(d, f"python_spinning_{r}.json", python(t))
        write(d, f"java_passive_{r}.json", java(j))
        write(d, f"python_passive_{r}.json", python(t * 1.2))
    write(d, "paired_step.json", paired_step.paired(d))
    parts, oks = report.java_row(d)
    assert oks == [True, False], parts  # 1.58x spinning; 1.32x passive
    assert "1.58x, median of 3 paired rounds" in parts[0]


def test_rounds_of_several_runs_are_pooled(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    write(str(a), "java_spinning_1.json", java(100.0))
    write(str(a), "python_spinning_1.json", python(50.0))   # 2.0
    write(str(b), "java_spinning_1.json", java(60.0))
    write(str(b), "python_spinning_1.json", python(50.0))   # 1.2
    write(str(b), "java_spinning_2.json", java(70.0))
    write(str(b), "python_spinning_2.json", python(50.0))   # 1.4
    s = paired_step.paired(str(a), str(b))["policies"]["spinning"]["batches"][0]
    assert len(s["rounds"]) == 3 and s["median_java_over_pytorch"] == 1.4
