"""bench/common.py: what a result's environment says about the machine."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402
import report  # noqa: E402


def test_the_cpu_model_is_the_first_processors_model_name(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: Other\n")
    assert common.cpu_model(str(cpuinfo)) == "AMD EPYC 7B13"


def test_no_model_name_or_no_file_gives_none(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nBogoMIPS\t: 50.00\n")
    assert common.cpu_model(str(cpuinfo)) is None
    assert common.cpu_model(str(tmp_path / "absent")) is None


def test_the_source_revision_is_the_checkouts_and_none_outside_one(tmp_path):
    import subprocess
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=common.ROOT, capture_output=True,
                          text=True).stdout.strip()
    assert common.source_rev().startswith(head)
    assert common.source_rev(str(tmp_path)) is None


def test_the_report_names_the_cpu_when_the_result_does():
    env = {"command": "x", "started_at": "2026-12-06T20:00:00", "cpus": 2, "load_average_at_start": 1.0,
           "load_average_at_end": 2.0}
    assert "2 CPUs," in report.env_line({"environment": env})
    assert "2 CPUs (AMD EPYC 7B13)," in report.env_line({"environment": dict(env, cpu_model="AMD EPYC 7B13")})
    assert "`x` at 5567049 —" in report.env_line({"environment": dict(env, source_rev="5567049")})
