"""Step formulations: the same function written two ways, timed in PyTorch eager and in onnxruntime.

rmt's `attend` masks scores with `torch.where(allowed, scores, full_like(scores, NEG))` (exported as
ConstantOfShape + Where at every attention) and `previous_positions` pads, slices and concatenates once
per token-shift lag. This builds the default model's architecture (random weights, nonzero mixes) and
runs `step` as written (`base`) and with either or both of:
  - `add`: an additive mask, scores + where(allowed, 0, NEG) on the [B,1,T,T] mask (one Add);
  - `shift`: the chunk padded once per block, each lag a slice of it (memory positions untouched).
Each variant's outputs are compared with base's (equal to the bit, or the largest difference); its step
graph is exported and timed in onnxruntime at 2 threads x batch 32 and 1 thread x batch 16 (one part
of memstream's split step). Nothing here changes the model; it says what a rewrite would be worth.

    cd model-export && .venv/bin/python experiments/step_formulations.py base add shift add_shift
"""
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from memstream_model import export as ex  # noqa: E402
from memstream_model.arch import build, rmt  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def timed(fn, seconds=3.0, warmup=1.0):
    """Median ms of fn() over `seconds` after `warmup` seconds (at least 10 calls)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < warmup:
        fn()
    times, t0 = [], time.perf_counter()
    while time.perf_counter() - t0 < seconds or len(times) < 10:
        a = time.perf_counter()
        fn()
        times.append(time.perf_counter() - a)
    return statistics.median(times) * 1000


ORIGINAL = (rmt.attend, rmt.Block.forward, rmt.RMT.write_context)


def attend_additive(q, k, v, allowed, scale, bias=None):
    scores = torch.matmul(q, k.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    mask = torch.where(allowed, torch.zeros((), dtype=scores.dtype), torch.full((), rmt.NEG, dtype=scores.dtype))
    return torch.matmul(torch.softmax(scores + mask, dim=-1), v)


def lagged(chunk, lags):
    """chunk[:, t - j] for j = 1..lags (zeros before the chunk start), from one padded copy."""
    padded = F.pad(chunk, (0, 0, lags, 0))
    return [padded[:, lags - j: padded.shape[1] - j] for j in range(1, lags + 1)]


def block_forward_padded_once(self, x, allowed, shift_start=0):
    a = self.ln1(x)
    if self.shift is not None:
        chunk = a[:, shift_start:]
        out = chunk
        for w, prev in zip(self.shift, lagged(chunk, self.shift.shape[0])):
            out = out + w * (prev - chunk)
        a = torch.cat([a[:, :shift_start], out], dim=1)
    y, k, v = self.attn(a, a, allowed)
    x = x + y
    return x + self.mlp(self.ln2(x)), k, v


def write_context_padded_once(self, hidden):
    if self.write_mix is None:
        return hidden

    def mix(chunk):
        out = chunk
        for w, prev in zip(self.write_mix, lagged(chunk, self.write_mix.shape[0])):
            out = out + w * prev
        return out
    return self._on_chunk(hidden, mix)


def use(variant):
    rmt.attend = attend_additive if "add" in variant else ORIGINAL[0]
    rmt.Block.forward = block_forward_padded_once if "shift" in variant else ORIGINAL[1]
    rmt.RMT.write_context = write_context_padded_once if "shift" in variant else ORIGINAL[2]


def main(variants):
    import onnxruntime as ort
    torch.set_num_threads(2)
    torch.set_num_interop_threads(1)
    with open(os.path.join(ROOT, "models/default/manifest.json")) as f:
        cfg = dict(json.load(f)["training"]["model"])
    arch = cfg.pop("architecture")
    torch.manual_seed(0)
    model = build(arch, cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)  # the token-shift and write mixes start at zero
    B, L = 32, model.cfg.chunk_length
    rng = np.random.default_rng(1)
    tokens = torch.tensor(rng.integers(32, 127, size=(B, L)), dtype=torch.int64)
    lengths = torch.full((B,), L, dtype=torch.int64)
    lengths[3] = L - 24  # one padded row
    state = tuple(t.detach() for t in model.init_state(B))
    reference = None
    for variant in variants:
        use(variant)
        with torch.no_grad():
            out = ex.step_outputs(model, state, tokens, lengths)
            reference = reference or out
            row = {"variant": variant,
                   "equal_to_base": {k: bool(torch.equal(out[k], reference[k])) for k in out},
                   "max_abs_diff": {k: float((out[k] - reference[k]).abs().max()) for k in out},
                   "pytorch_t2_b32_ms": timed(lambda: model.step(state, tokens, lengths))}
        with tempfile.TemporaryDirectory() as d:
            ex.export_graphs(model, d)
            for threads, b in ((2, 32), (1, 16)):
                so = ort.SessionOptions()
                so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
                so.add_session_config_entry("session.intra_op.allow_spinning", "0")
                s = ort.InferenceSession(os.path.join(d, "step.onnx"), so, providers=["CPUExecutionProvider"])
                feeds = {"memory": state[0][:b].numpy(), "tokens": tokens[:b].numpy(), "lengths": lengths[:b].numpy()}
                row[f"onnxruntime_t{threads}_b{b}_ms"] = timed(lambda: s.run(None, feeds))
        print(json.dumps(row), flush=True)
    use("base")


if __name__ == "__main__":
    main(sys.argv[1:] or ["base", "add", "shift", "add_shift"])
