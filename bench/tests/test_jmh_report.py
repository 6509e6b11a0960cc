"""bench/jmh_report.py: JMH's ms per call turned into tokens/s and the issue's ratios."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import jmh_report  # noqa: E402


def result(name, ms, **params):
    return {"benchmark": f"io.memstream.jmh.EngineBenchmarks.{name}", "params": {k: str(v) for k, v in params.items()},
            "primaryMetric": {"score": ms, "scoreUnit": "ms/op"}}


def test_tokens_per_second_by_benchmark():
    got = {(n, b): tps for n, b, _, tps in jmh_report.rows([
        result("step", 32.0, batch=32),
        result("generateCached", 16.0, rows=1),
        result("generateRecomputed", 128.0, recomputeRows=8),
        result("generateStreamsBatched", 100.0, streams=32),
    ])}
    assert got[("step", 32)] == 32 * 64 / 0.032
    assert got[("generateCached", 1)] == 64 / 0.016
    assert got[("generateRecomputed", 8)] == 8 * 64 / 0.128
    assert got[("generateStreamsBatched", 32)] == 32 * 64 / 0.1


def test_ratios_printed(tmp_path, capsys):
    path = tmp_path / "jmh.json"
    path.write_text(json.dumps([
        result("generateCached", 10.0, rows=1), result("generateRecomputed", 75.0, recomputeRows=1),
        result("generateStreamsBatched", 100.0, streams=32), result("generateStreamsOneAtATime", 450.0, streams=32),
    ]))
    jmh_report.main(str(path))
    out = capsys.readouterr().out
    assert "cached decoding against recomputation, 64 new tokens, batch 1: 7.50x" in out
    assert "32 streams x 64 tokens batched against one stream at a time: 4.50x" in out


def test_report_has_the_jmh_table(tmp_path, capsys):
    import report
    results = [result("generateStreamsBatched", 100.0, streams=32), result("generateStreamsOneAtATime", 600.0, streams=32)]
    results[0]["primaryMetric"]["scoreError"] = 5.0
    (tmp_path / "jmh_engine.json").write_text(json.dumps(results))
    report.main(str(tmp_path))
    out = capsys.readouterr().out
    assert "| generateStreamsBatched | 32 | 100.00 ± 5.00 | 20480 |" in out
    assert "batched against one stream at a time: **6.00x**" in out
