"""The same exported model in Python, same batch sizes and thread count as `memstream bench engine`:
PyTorch eager (the model rebuilt from the manifest's architecture and config) and onnxruntime's
Python binding on the very step.onnx / prefill.onnx / decode.onnx the Java engine runs.

    model-export/.venv/bin/python bench/python_baseline.py --threads 2 \
        --java bench/results/engine.json --out bench/results/python_baseline.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from common import ROOT, build_torch_model, environment, load_manifest, measure, write


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=os.path.join(ROOT, "models/default"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--step-batches", default="1,8,32,128")
    p.add_argument("--decode-batches", default="1,8,32", help='"" times step alone')
    p.add_argument("--warmup-s", type=float, default=2.0)
    p.add_argument("--measure-s", type=float, default=5.0)
    p.add_argument("--min-reps", type=int, default=20)
    p.add_argument("--checkpoint", default=None, help="weights for PyTorch (optional; speed does not depend on them)")
    p.add_argument("--java", default=os.path.join(ROOT, "bench/results/engine.json"),
                   help="the Java engine's result, for the ratio table")
    p.add_argument("--out", default=os.path.join(ROOT, "bench/results/python_baseline.json"))
    a = p.parse_args()

    import onnxruntime as ort
    import torch
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)

    man = load_manifest(a.model)
    L = man["chunk_length"]
    V = man["tokenizer"]["vocab_size"]
    state_shape = man["state"][0]["shape"]
    init = np.fromfile(os.path.join(a.model, man["state"][0]["initial"]), dtype="<f4").reshape(state_shape)
    model, weights = build_torch_model(man, a.checkpoint)
    rng = np.random.default_rng(6)

    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    sessions = {g: ort.InferenceSession(os.path.join(a.model, man["graphs"][g]["file"]), so,
                                        providers=["CPUExecutionProvider"]) for g in ("step", "prefill", "decode")}

    def inputs(b):
        mem = np.ascontiguousarray(np.broadcast_to(init, (b, *state_shape)), dtype=np.float32)
        tok = rng.integers(32, 127, size=(b, L), dtype=np.int64)
        ln = np.full((b,), L, dtype=np.int64)
        return mem, tok, ln

    result = {"benchmark": "python_baseline", "environment": environment(), "model": man["model_id"],
              "threads": a.threads, "torch": torch.__version__, "onnxruntime": ort.__version__,
              "torch_weights": weights, "step": [], "decode": []}
    for b in [int(x) for x in a.step_batches.split(",")]:
        mem, tok, ln = inputs(b)
        tm, tt, tl = torch.from_numpy(mem), torch.from_numpy(tok), torch.from_numpy(ln)
        with torch.inference_mode():
            pt = measure(lambda: model.step((tm,), tt, tl), a.warmup_s, a.measure_s, a.min_reps)
        feed = {"memory": mem, "tokens": tok, "lengths": ln}
        ox = measure(lambda: sessions["step"].run(None, feed), a.warmup_s, a.measure_s, a.min_reps)
        for r in (pt, ox):
            r["tokens_per_s"] = round(b * L / (r["median_ms"] / 1e3), 3)
        result["step"].append({"batch": b, "pytorch_eager": pt, "onnxruntime_python": ox})
        print(f"bench: step B={b}: pytorch {pt['median_ms']:.2f} ms, onnxruntime {ox['median_ms']:.2f} ms", file=sys.stderr)

    for b in [int(x) for x in a.decode_batches.split(",") if x.strip()]:  # "" for step alone
        mem, tok, ln = inputs(b)
        tm, tt, tl = torch.from_numpy(mem), torch.from_numpy(tok), torch.from_numpy(ln)
        nxt = np.full((b,), 32, dtype=np.int64)
        with torch.inference_mode():
            _, cache0 = model.prefill((tm,), tt, tl)
            state = {"cache": cache0, "n": 0}

            def torch_decode():
                if state["n"] == man["max_new_tokens"]:  # cache full: start over from the prefill's
                    state["cache"], state["n"] = cache0, 0
                _, state["cache"] = model.decode(torch.from_numpy(nxt), state["cache"])
                state["n"] += 1
            pt = measure(torch_decode, a.warmup_s, a.measure_s, a.min_reps)
        pre = sessions["prefill"].run(None, {"memory": mem, "tokens": tok, "lengths": ln})
        names = [c["name"] for c in man["cache"]]
        cache_init = dict(zip(names, pre[1:]))
        ostate = {"cache": cache_init, "n": 0}
        # static cache tensors (next = null) are not decode outputs: they stay as prefill left them
        changing = [c["name"] for c in man["cache"] if c["next"] is not None]

        def ort_decode():
            if ostate["n"] == man["max_new_tokens"]:
                ostate["cache"], ostate["n"] = cache_init, 0
            out = sessions["decode"].run(None, {"token": nxt, **ostate["cache"]})
            ostate["cache"] = {**ostate["cache"], **dict(zip(changing, out[1:]))}
            ostate["n"] += 1
        ox = measure(ort_decode, a.warmup_s, a.measure_s, a.min_reps)
        for r in (pt, ox):
            r["tokens_per_s"] = round(b / (r["median_ms"] / 1e3), 3)
        result["decode"].append({"batch": b, "pytorch_eager": pt, "onnxruntime_python": ox})
        print(f"bench: decode B={b}: pytorch {pt['median_ms']:.3f} ms, onnxruntime {ox['median_ms']:.3f} ms", file=sys.stderr)

    if os.path.exists(a.java):
        with open(a.java) as f:
            java = json.load(f)
        result["java_engine_file"] = os.path.relpath(a.java, ROOT)
        result["ratio_table"] = ratios(java, result)
        print(markdown(result["ratio_table"]))
    write(a.out, result)
    return 0


def ratios(java: dict, py: dict) -> list:
    """Java engine tokens/s over each Python path's, per graph and batch size (>1: Java faster)."""
    rows = []
    for kind in ("step", "decode"):
        jb = {r["batch"]: r["tokens_per_s"] for r in java.get(kind, [])}
        for r in py[kind]:
            j = jb.get(r["batch"])
            if j is None:
                continue
            rows.append({"graph": kind, "batch": r["batch"], "java_tokens_per_s": j,
                         "pytorch_eager_tokens_per_s": r["pytorch_eager"]["tokens_per_s"],
                         "onnxruntime_python_tokens_per_s": r["onnxruntime_python"]["tokens_per_s"],
                         "java_over_pytorch": round(j / r["pytorch_eager"]["tokens_per_s"], 2),
                         "java_over_onnxruntime_python": round(j / r["onnxruntime_python"]["tokens_per_s"], 2)})
    return rows


def markdown(rows: list) -> str:
    out = ["| graph | batch | Java engine tokens/s | PyTorch eager | onnxruntime (Python) | Java / PyTorch | Java / ORT Python |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['graph']} | {r['batch']} | {r['java_tokens_per_s']:.0f} | {r['pytorch_eager_tokens_per_s']:.0f} | "
                   f"{r['onnxruntime_python_tokens_per_s']:.0f} | {r['java_over_pytorch']:.2f} | {r['java_over_onnxruntime_python']:.2f} |")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
