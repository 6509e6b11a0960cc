"""Java engine against PyTorch eager on step, round by round (bench/paired-step.sh): each round's
ratio comes from two runs minutes, not tens of minutes, apart, and the target is judged on the median
of the rounds' ratios.

    model-export/.venv/bin/python bench/paired_step.py bench/results/run-j/paired-step --out bench/results/run-j/paired_step.json
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import statistics
import sys

POLICIES = {"spinning": "both spinning (PyTorch's default against ONNX Runtime spinning)",
            "passive": "both passive (memstream's default against PyTorch with OMP_WAIT_POLICY=PASSIVE)"}


def rounds(d: str, policy: str) -> list:
    """[(round, java result, python result)] of the rounds that have both sides, in round order."""
    out = []
    for path in glob.glob(os.path.join(d, f"java_{policy}_*.json")):
        r = int(re.search(r"_(\d+)\.json$", path).group(1))
        py = os.path.join(d, f"python_{policy}_{r}.json")
        if os.path.exists(py):
            with open(path) as f, open(py) as g:
                out.append((r, json.load(f), json.load(g)))
    return sorted(out, key=lambda x: x[0])


def paired(*dirs: str) -> dict:
    """Per policy and batch: each round's tokens/s on both sides and their ratio, and the medians,
    over the rounds of every directory given (rounds of several runs pooled)."""
    result = {"benchmark": "paired_step", "rounds_dir": dirs[0] if len(dirs) == 1 else list(dirs), "policies": {}}
    for policy, label in POLICIES.items():
        rs = [(r if len(dirs) == 1 else f"{d}:{r}", java, py) for d in dirs for r, java, py in rounds(d, policy)]
        if not rs:
            continue
        by_batch = {}
        for r, java, py in rs:
            torch_by_batch = {x["batch"]: x for x in py["step"]}
            for j in java["step"]:
                t = torch_by_batch.get(j["batch"])
                if t is None:
                    continue
                by_batch.setdefault(j["batch"], []).append({
                    "round": r, "java_tokens_per_s": j["tokens_per_s"],
                    "pytorch_eager_tokens_per_s": t["pytorch_eager"]["tokens_per_s"],
                    "onnxruntime_python_tokens_per_s": t["onnxruntime_python"]["tokens_per_s"],
                    "java_over_pytorch": round(j["tokens_per_s"] / t["pytorch_eager"]["tokens_per_s"], 3),
                    "java_over_onnxruntime_python": round(j["tokens_per_s"] / t["onnxruntime_python"]["tokens_per_s"], 3),
                    "started_at": java["environment"].get("started_at")})
        result["policies"][policy] = {"label": label, "batches": [summary(b, xs) for b, xs in sorted(by_batch.items())]}
    return result


def summary(batch: int, xs: list) -> dict:
    ratios = [x["java_over_pytorch"] for x in xs]
    return {"batch": batch, "rounds": xs,
            "median_java_over_pytorch": round(statistics.median(ratios), 3),
            "min_java_over_pytorch": min(ratios), "max_java_over_pytorch": max(ratios),
            "median_java_over_onnxruntime_python": round(statistics.median(x["java_over_onnxruntime_python"] for x in xs), 3),
            "median_java_tokens_per_s": round(statistics.median(x["java_tokens_per_s"] for x in xs), 1),
            "median_pytorch_eager_tokens_per_s": round(statistics.median(x["pytorch_eager_tokens_per_s"] for x in xs), 1)}


def markdown(result: dict) -> str:
    out = ["| waiting policy | batch | rounds | Java / PyTorch, median (min-max) | Java / ORT Python, median | "
           "Java tokens/s, median | PyTorch tokens/s, median |", "|---|---|---|---|---|---|---|"]
    for policy, p in result["policies"].items():
        for b in p["batches"]:
            out.append(f"| {policy} | {b['batch']} | {len(b['rounds'])} | **{b['median_java_over_pytorch']:.2f}** "
                       f"({b['min_java_over_pytorch']:.2f}-{b['max_java_over_pytorch']:.2f}) | "
                       f"{b['median_java_over_onnxruntime_python']:.2f} | {b['median_java_tokens_per_s']:.0f} | "
                       f"{b['median_pytorch_eager_tokens_per_s']:.0f} |")
    return "\n".join(out)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("rounds_dir", nargs="+", help="one or more runs' paired-step directories, pooled")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    result = paired(*a.rounds_dir)
    if not result["policies"]:
        print(f"no rounds with both sides in {a.rounds_dir}", file=sys.stderr)
        return 1
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
