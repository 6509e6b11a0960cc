"""Medians of bench/decode-layout.sh's runs, before and after, side by side (also written as JSON)."""
import glob
import json
import os
import statistics
import sys


def figures(path):
    with open(path) as f:
        d = json.load(f)
    row = {f"decode_b{x['batch']}_ms": x["median_ms"] for x in d["decode"]}
    row["step_b32_ms"] = d["step"][0]["median_ms"]
    g = d["batched_generation"]
    row["generation_batched_ms"] = g["batched"]["median_ms"]
    row["generation_one_at_a_time_ms"] = g["one_stream_at_a_time"]["median_ms"]
    row["generation_speedup"] = g["speedup"]
    return row, d["environment"]["started_at"]


def main(out, threads):
    sides = {}
    for side in ("before", "after"):
        runs = [figures(p) for p in sorted(glob.glob(os.path.join(out, f"{side}_t{threads}_r*.json")))]
        if not runs:
            raise SystemExit(f"no {side}_t{threads}_r*.json in {out}")
        sides[side] = {k: round(statistics.median(r[0][k] for r in runs), 3) for k in runs[0][0]}
        sides[side]["runs"] = len(runs)
    print(f"{threads} thread(s), medians of {sides['after']['runs']} alternating runs")
    print(f"{'':30} {'before':>10} {'after':>10} {'after/before':>13}")
    for k in sides["before"]:
        if k != "runs":
            b, a = sides["before"][k], sides["after"][k]
            print(f"{k:30} {b:10.3f} {a:10.3f} {a / b:13.3f}")
    with open(os.path.join(out, f"summary_t{threads}.json"), "w") as f:
        json.dump(sides, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
