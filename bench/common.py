"""Shared helpers of the Python benchmarks: the model rebuilt from a manifest, timing, JSON."""
from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "model-export"))


def load_manifest(model_dir: str) -> dict:
    with open(os.path.join(model_dir, "manifest.json")) as f:
        return json.load(f)


def build_torch_model(manifest: dict, checkpoint: str | None = None):
    """The exported model's architecture and config, in PyTorch. Weights from `checkpoint` when
    given; otherwise seeded random ones (no checkpoint is committed: runs/ is not in git). Speed
    does not depend on the weight values, only on shapes, which the manifest fixes."""
    import torch
    from memstream_model import checkpoint as ck
    from memstream_model.arch import build
    if checkpoint:
        model, _ = ck.load(checkpoint)
        return model.eval(), "checkpoint " + checkpoint
    cfg = dict(manifest["training"]["model"])
    arch = cfg.pop("architecture")
    torch.manual_seed(0)
    return build(arch, cfg).eval(), "random weights, same architecture and config as the manifest"


def measure(fn, warmup_s: float, measure_s: float, min_reps: int) -> dict:
    """Warm up, then time calls for at least min_reps and measure_s; medians and p10/p90 in ms."""
    end = time.perf_counter() + warmup_s
    while True:
        fn()
        if time.perf_counter() >= end:
            break
    samples = []
    end = time.perf_counter() + measure_s
    while len(samples) < min_reps or time.perf_counter() < end:
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    samples.sort()

    def q(p):
        import math
        return samples[max(0, min(len(samples) - 1, math.ceil(p * len(samples)) - 1))]
    return {"median_ms": round(statistics.median(samples), 3), "p10_ms": round(q(0.1), 3),
            "p90_ms": round(q(0.9), 3), "calls": len(samples)}


def cpu_model(cpuinfo: str = "/proc/cpuinfo"):
    """The first "model name" of a Linux cpuinfo file, None elsewhere: which machine a figure is from."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def source_rev(root: str = ROOT):
    """The checkout's git revision ("-dirty" with uncommitted changes), None outside a git checkout."""
    import subprocess
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=root, capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def environment() -> dict:
    env = {"command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
           "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
           "cpus": os.cpu_count(), "cpu_model": cpu_model(), "load_average_at_start": os.getloadavg()[0],
           "python": platform.python_version()}
    rev = source_rev()
    if rev:
        env["source_rev"] = rev
    return env


def write(path: str, result: dict) -> None:
    result["environment"]["load_average_at_end"] = os.getloadavg()[0]
    result["environment"]["finished_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"bench: wrote {path}", file=sys.stderr)
