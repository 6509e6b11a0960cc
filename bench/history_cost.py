"""Cost per chunk against position in the stream: memstream (one `step` over the new chunk with the
carried memory: flat by design) against what a user would otherwise build, re-reading the whole
history at every chunk with a full-attention model of the same width and depth, until that model's
window ends. Both run in onnxruntime (Python) with the same threads, batch 1; memstream on the
exported step.onnx, the full-attention model built from model-export's own transformer block and
exported the same way (random weights: cost depends only on shapes). Writes JSON, a PNG plot and a
markdown table.

    model-export/.venv/bin/python bench/history_cost.py --threads 2 --window 2048 --chunks 48
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

from common import ROOT, environment, load_manifest, write


def full_attention_model(cfg: dict, window: int):
    """A causal decoder-only LM: model-export's Block x n_layers, learned positions up to `window`."""
    import torch
    from torch import nn
    from memstream_model.arch.rmt import Block

    class FullAttentionLM(nn.Module):
        def __init__(self):
            super().__init__()
            d = cfg["d_model"]
            self.wte = nn.Embedding(cfg["vocab_size"], d)
            self.wpe = nn.Embedding(window, d)
            self.blocks = nn.ModuleList(Block(d, cfg["n_heads"], cfg.get("mlp_ratio", 4)) for _ in range(cfg["n_layers"]))
            self.ln_f = nn.LayerNorm(d)
            self.head = nn.Linear(d, cfg["vocab_size"])

        def forward(self, tokens):
            n = tokens.shape[1]
            pos = torch.arange(n, device=tokens.device)
            x = self.wte(tokens) + self.wpe(pos)
            i = torch.arange(n).unsqueeze(1)
            j = torch.arange(n).unsqueeze(0)
            allowed = (j <= i).unsqueeze(0).unsqueeze(0)
            for blk in self.blocks:
                x, _, _ = blk(x, allowed)
            return self.head(self.ln_f(x))

    torch.manual_seed(0)
    return FullAttentionLM().eval()


def export(model, path: str) -> None:
    import inspect
    import torch
    extra = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    torch.onnx.export(model, (torch.zeros(1, 64, dtype=torch.int64),), path, input_names=["tokens"],
                      output_names=["logits"], dynamic_axes={"tokens": {1: "L"}, "logits": {1: "L"}},
                      opset_version=17, do_constant_folding=True, **extra)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=os.path.join(ROOT, "models/default"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--window", type=int, default=2048, help="full-attention model's window (tokens)")
    p.add_argument("--chunks", type=int, default=48, help="positions measured (memstream continues past the window)")
    p.add_argument("--passes", type=int, default=5, help="passes over the stream; medians per position")
    p.add_argument("--out", default=os.path.join(ROOT, "bench/results/history_cost.json"))
    p.add_argument("--plot", default=os.path.join(ROOT, "docs/history_cost.png"))
    a = p.parse_args()

    import onnxruntime as ort
    man = load_manifest(a.model)
    L = man["chunk_length"]
    cfg = man["training"]["model"]
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    step = ort.InferenceSession(os.path.join(a.model, "step.onnx"), so, providers=["CPUExecutionProvider"])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "full_attention.onnx")
        export(full_attention_model(cfg, a.window), path)
        full = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    n_params_full = sum(p.numel() for p in full_attention_model(cfg, a.window).parameters())

    rng = np.random.default_rng(6)
    stream = rng.integers(32, 127, size=(1, a.chunks * L), dtype=np.int64)
    init = np.fromfile(os.path.join(a.model, man["state"][0]["initial"]), dtype="<f4").reshape(1, *man["state"][0]["shape"])
    window_chunks = a.window // L
    mem_ms = [[] for _ in range(a.chunks)]
    full_ms = [[] for _ in range(min(a.chunks, window_chunks))]
    # Warm-up: one pass of each at every length, so allocation of the longest shapes is not timed.
    for k in range(1, len(full_ms) + 1):
        full.run(None, {"tokens": stream[:, :k * L]})
    for _ in range(20):
        step.run(None, {"memory": init, "tokens": stream[:, :L], "lengths": np.array([L], dtype=np.int64)})
    for _ in range(a.passes):
        memory = init
        for k in range(a.chunks):
            tok = stream[:, k * L:(k + 1) * L]
            t0 = time.perf_counter()
            out = step.run(None, {"memory": memory, "tokens": tok, "lengths": np.array([L], dtype=np.int64)})
            memory = out[[o.name for o in step.get_outputs()].index("next_memory")]  # all outputs, as stream-app asks
            mem_ms[k].append((time.perf_counter() - t0) * 1e3)
        for k in range(len(full_ms)):
            t0 = time.perf_counter()
            full.run(None, {"tokens": stream[:, :(k + 1) * L]})
            full_ms[k].append((time.perf_counter() - t0) * 1e3)
        print(f"bench: pass done", file=sys.stderr)

    rows = []
    for k in range(a.chunks):
        m = statistics.median(mem_ms[k])
        f = statistics.median(full_ms[k]) if k < len(full_ms) else None
        rows.append({"chunk": k + 1, "history_tokens": (k + 1) * L, "memstream_ms": round(m, 3),
                     "full_attention_ms": None if f is None else round(f, 3),
                     "full_over_memstream": None if f is None else round(f / m, 2)})
    result = {"benchmark": "history_cost", "environment": environment(), "model": man["model_id"],
              "threads": a.threads, "onnxruntime": ort.__version__, "chunk_length": L, "window_tokens": a.window,
              "full_attention_parameters": n_params_full, "passes": a.passes,
              "full_attention_model": f"causal LM, d {cfg['d_model']}, {cfg['n_layers']} layers, {cfg['n_heads']} heads, "
                                      f"model-export's Block, positions up to {a.window}, random weights",
              "cumulative_ms_to_window_end": {
                  "memstream": round(sum(r["memstream_ms"] for r in rows[:len(full_ms)]), 1),
                  "full_attention": round(sum(r["full_attention_ms"] for r in rows[:len(full_ms)]), 1)},
              "by_chunk": rows}
    plot(rows, a, L)
    result["plot"] = os.path.relpath(a.plot, ROOT)
    print(table(rows))
    write(a.out, result)
    return 0


def table(rows: list) -> str:
    out = ["| chunk | history tokens | memstream ms | full attention ms | ratio |", "|---|---|---|---|---|"]
    for r in rows:
        if r["chunk"] in (1, 2, 4, 8, 16, 24, 32, 40, 48) or r is rows[-1]:
            f = "window ended" if r["full_attention_ms"] is None else f"{r['full_attention_ms']:.2f}"
            ratio = "" if r["full_over_memstream"] is None else f"{r['full_over_memstream']:.1f}x"
            out.append(f"| {r['chunk']} | {r['history_tokens']} | {r['memstream_ms']:.2f} | {f} | {ratio} |")
    return "\n".join(out)


def plot(rows: list, a, L: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = [r["history_tokens"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ax.plot(x, [r["memstream_ms"] for r in rows], "o-", ms=3, label="memstream: step over the new chunk, memory carried")
    fx = [r["history_tokens"] for r in rows if r["full_attention_ms"] is not None]
    ax.plot(fx, [r["full_attention_ms"] for r in rows if r["full_attention_ms"] is not None], "s-", ms=3,
            label=f"full attention: re-read the whole history (window {a.window})")
    ax.axvline(a.window, color="grey", ls="--", lw=1)
    ax.text(a.window, ax.get_ylim()[1] * 0.9, " window ends", color="grey")
    ax.set_xlabel("position in the stream (tokens read so far)")
    ax.set_ylabel("cost of one 64-token chunk (ms, median)")
    ax.set_title(f"Cost per chunk vs position (onnxruntime, {a.threads} threads, batch 1)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(a.plot)), exist_ok=True)
    fig.savefig(a.plot)
    print(f"bench: wrote {a.plot}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
