"""bench/jfr_samples.py: inclusive samples per method of the chosen thread, shares of its samples."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jfr_samples  # noqa: E402


def sample(thread, *frames):
    stack = "\n".join(f"      {f}(int)  line: 1" for f in frames)
    return f"""jdk.ExecutionSample {{
  startTime = 03:37:20.388
  sampledThread = "{thread}" (javaThreadId = 42)
  state = "STATE_RUNNABLE"
  stackTrace = [
{stack}
  ]
}}
"""


def test_counts_each_method_once_per_sample_of_the_matching_thread():
    text = "".join([
        sample("app-0f8fad5b-d9cb-469f-a165-70867728950e-StreamThread-1", "a.B.put", "a.B.apply", "a.B.process"),
        sample("app-0f8fad5b-d9cb-469f-a165-70867728950e-StreamThread-1", "a.B.get", "a.B.process", "a.B.process"),
        sample("other", "a.B.put", "a.B.apply"),
    ])
    r = jfr_samples.profile(text, "app-ID-StreamThread-1", 10)
    assert r["samples"] == 2
    methods = {m["method"]: (m["samples"], m["share"]) for m in r["methods"]}
    assert methods["a.B.process"] == (2, 1.0)  # recursion counts once
    assert methods["a.B.put"] == (1, 0.5)
    assert "other" in r["samples_by_thread"] and r["samples_by_thread"]["app-ID-StreamThread-1"] == 2


def test_no_matching_thread_gives_no_methods():
    r = jfr_samples.profile(sample("other", "a.B.put"), "nothing", 10)
    assert r["samples"] == 0 and r["methods"] == []
