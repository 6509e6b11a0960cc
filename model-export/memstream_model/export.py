"""Export a model directory as docs/model-contract.md defines it.

Order matters: graphs are exported, every graph is run with onnxruntime on the golden cases and
compared with PyTorch, and only when all agree within ATOL are the initial state, golden vectors
and finally the manifest (with its fingerprint) written. A model directory with a manifest is
therefore always one whose graphs were checked.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import shutil
from dataclasses import asdict
from typing import Dict, List, Tuple

import numpy as np
import torch
from torch import nn

from . import tokenizer
from .arch import MemoryArch

OPSET = 17
ATOL = 1e-4
FORMAT_VERSION = 1


def token_bits(logits, tokens, lengths):
    """Bits of every chunk token under the model [B, L], 0 at padding: step's optional output
    `token_bits`. Computed in the graph, the caller need not copy the logits [B, L, V] out of the
    runtime and take a softmax over the vocabulary per token to report a chunk's bits."""
    picked = torch.gather(torch.log_softmax(logits, dim=-1), 2, tokens.unsqueeze(-1)).squeeze(-1)
    valid = torch.arange(tokens.shape[1], device=tokens.device).unsqueeze(0) < lengths.unsqueeze(1)
    return torch.where(valid, picked * (-1.0 / math.log(2.0)), torch.zeros_like(picked))


def step_outputs(model: MemoryArch, state, tokens, lengths) -> Dict[str, torch.Tensor]:
    """step's outputs by name, as the exported graph gives them."""
    logits, nxt = model.step(state, tokens, lengths)
    return {"logits": logits, **{"next_" + s.name: t for s, t in zip(model.state_specs(), nxt)},
            "token_bits": token_bits(logits, tokens, lengths)}


class StepGraph(nn.Module):
    def __init__(self, model: MemoryArch, n_state: int):
        super().__init__()
        self.model, self.n = model, n_state

    def forward(self, *args):
        return tuple(step_outputs(self.model, tuple(args[:self.n]), args[self.n], args[self.n + 1]).values())


class PrefillGraph(StepGraph):
    def forward(self, *args):
        logits, cache = self.model.prefill(tuple(args[:self.n]), args[self.n], args[self.n + 1])
        return (logits,) + tuple(cache)


class DecodeGraph(nn.Module):
    def __init__(self, model: MemoryArch):
        super().__init__()
        self.model = model

    def forward(self, token, *cache):
        logits, nxt = self.model.decode(token, tuple(cache))
        changing = set(self.model.changing_cache())
        return (logits,) + tuple(t for c, t in zip(self.model.cache_names, nxt) if c in changing)


def graph_io(model: MemoryArch) -> Dict[str, Dict[str, List[str]]]:
    states = [s.name for s in model.state_specs()]
    cache = list(model.cache_names)
    return {
        "step": {"inputs": states + ["tokens", "lengths"],
                 "outputs": ["logits"] + ["next_" + s for s in states] + ["token_bits"]},
        "prefill": {"inputs": states + ["tokens", "lengths"], "outputs": ["logits"] + cache},
        "decode": {"inputs": ["token"] + cache,
                   "outputs": ["logits"] + ["next_" + c for c in model.changing_cache()]},
    }


def _dyn(names, fixed):
    """Dynamic axes: batch everywhere; every axis of an (opaque) cache tensor may vary."""
    return {n: fixed[n] for n in names}


def export_graphs(model: MemoryArch, out_dir: str) -> None:
    model.eval()
    io = graph_io(model)
    C = model.cfg.chunk_length
    B, L = 2, max(1, C - 1)
    state = model.init_state(B)
    tokens = torch.randint(0, 256, (B, L), generator=torch.Generator().manual_seed(0))
    lengths = torch.tensor([L, max(1, L - 3)][:B], dtype=torch.int64)
    with torch.no_grad():
        _, cache = model.prefill(state, tokens, lengths)
    axes = {s.name: {0: "batch"} for s in model.state_specs()}
    axes.update({"next_" + s.name: {0: "batch"} for s in model.state_specs()})
    axes.update({"tokens": {0: "batch", 1: "length"}, "lengths": {0: "batch"},
                 "token": {0: "batch"}})
    for c, t in zip(model.cache_names, cache):
        axes[c] = {0: "batch", **{i: f"{c}_{i}" for i in range(1, t.dim())}}
        if c in model.changing_cache():
            axes["next_" + c] = {0: "batch", **{i: f"next_{c}_{i}" for i in range(1, t.dim())}}
    jobs = [
        ("step", StepGraph(model, len(state)), state + (tokens, lengths),
         {"logits": {0: "batch", 1: "length"}, "token_bits": {0: "batch", 1: "length"}}),
        ("prefill", PrefillGraph(model, len(state)), state + (tokens, lengths), {"logits": {0: "batch"}}),
        ("decode", DecodeGraph(model), (tokens[:, 0],) + tuple(cache), {"logits": {0: "batch"}}),
    ]
    for name, mod, args, extra in jobs:
        names = io[name]["inputs"] + io[name]["outputs"]
        dyn = dict(axes)
        dyn.update(extra)
        torch.onnx.export(mod, args, os.path.join(out_dir, f"{name}.onnx"),
                          input_names=io[name]["inputs"], output_names=io[name]["outputs"],
                          dynamic_axes=_dyn(names, dyn), opset_version=OPSET,
                          do_constant_folding=True, **_legacy_exporter())


def _legacy_exporter() -> dict:
    """torch 2.x: ask for the TorchScript exporter explicitly; torch 1.13 (Debian) has no flag."""
    return {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}


# ---------------------------------------------------------------- golden cases (in memory)

def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def build_cases(model: MemoryArch, seed: int = 1234) -> List[dict]:
    """Golden cases as numpy arrays: batch sizes 1, 3, 8; lengths 1, 17, chunk_length; a padded
    batch; a multi-chunk sequence; prefill + 8 greedy decode steps."""
    g = torch.Generator().manual_seed(seed)
    C = model.cfg.chunk_length
    names = [s.name for s in model.state_specs()]

    def toks(b, l):
        return torch.randint(0, 256, (b, l), generator=g)

    def varied_state(b):
        # the learned initial state for row 0, perturbed copies for the others: parity must hold
        # for any memory the Java side carries, not just the initial one
        st = model.init_state(b)
        return tuple(s + 0.5 * torch.randn(s.shape, generator=g) * (torch.arange(b) > 0).view(-1, *[1] * (s.dim() - 1))
                     for s in st)

    cases = []
    with torch.no_grad():
        for b, l in [(1, 1), (3, 17), (8, C), (3, 1)]:
            l = min(l, C)
            st, tk = varied_state(b), toks(b, l)
            ln = torch.full((b,), l, dtype=torch.int64)
            cases.append({"name": f"step_b{b}_l{l}", "kind": "call", "graph": "step",
                          "inputs": {**{n: _np(s) for n, s in zip(names, st)},
                                     "tokens": _np(tk), "lengths": _np(ln)},
                          "outputs": {k: _np(v) for k, v in step_outputs(model, st, tk, ln).items()}})
        # padded batch: rows of different lengths, padding filled with PAD
        lens = [C, max(1, C // 2), 1]
        st, tk = varied_state(3), toks(3, C)
        for r, n in enumerate(lens):
            tk[r, n:] = tokenizer.PAD
        ln = torch.tensor(lens, dtype=torch.int64)
        cases.append({"name": "step_b3_padded", "kind": "call", "graph": "step",
                      "inputs": {**{n: _np(s) for n, s in zip(names, st)}, "tokens": _np(tk), "lengths": _np(ln)},
                      "outputs": {k: _np(v) for k, v in step_outputs(model, st, tk, ln).items()}})
        # prefill alone on the padded batch
        pl, cache = model.prefill(st, tk, ln)
        cases.append({"name": "prefill_b3_padded", "kind": "call", "graph": "prefill",
                      "inputs": {**{n: _np(s) for n, s in zip(names, st)}, "tokens": _np(tk), "lengths": _np(ln)},
                      "outputs": {"logits": _np(pl), **{c: _np(t) for c, t in zip(model.cache_names, cache)}}})
        # multi-chunk sequence from the initial state; the last chunk is short and padded
        st0 = model.init_state(2)
        st, steps = st0, []
        for k in range(4):
            l = C if k < 3 else max(1, C // 3)
            tk = toks(2, l)
            ln = torch.tensor([l, max(1, l - 2)], dtype=torch.int64)
            tk[1, int(ln[1]):] = tokenizer.PAD
            if k == 0:
                tk[:, 0] = tokenizer.BOS
            out = step_outputs(model, st, tk, ln)
            steps.append({"inputs": {"tokens": _np(tk), "lengths": _np(ln)},
                          "outputs": {k: _np(v) for k, v in out.items()}})
            st = tuple(out["next_" + n] for n in names)
        cases.append({"name": "sequence_b2_c4", "kind": "sequence",
                      "state": {n: _np(s) for n, s in zip(names, st0)}, "steps": steps})
        # prefill + 8 greedy decode steps on a padded batch
        st, tk = varied_state(2), toks(2, C)
        ln = torch.tensor([C, max(1, C - 5)], dtype=torch.int64)
        tk[1, int(ln[1]):] = tokenizer.PAD
        n_dec = min(8, model.cfg.max_new_tokens)
        lg, cache = model.prefill(st, tk, ln)
        all_logits, chosen = [lg], []
        for _ in range(n_dec):
            t = lg.argmax(dim=-1)
            chosen.append(t)
            lg, cache = model.decode(t, cache)
            all_logits.append(lg)
        cases.append({"name": f"generate_b2_n{n_dec}", "kind": "generate",
                      "inputs": {**{n: _np(s) for n, s in zip(names, st)}, "tokens": _np(tk), "lengths": _np(ln)},
                      "tokens": _np(torch.stack(chosen)), "logits": _np(torch.stack(all_logits))})
    return cases


# ---------------------------------------------------------------- onnxruntime check

def check_with_ort(model: MemoryArch, out_dir: str, cases: List[dict]) -> Dict[str, float]:
    """Run every golden case through onnxruntime; return the max abs diff per graph."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    io = graph_io(model)
    sess = {g: ort.InferenceSession(os.path.join(out_dir, f"{g}.onnx"), opts,
                                    providers=["CPUExecutionProvider"]) for g in io}
    diff = {g: 0.0 for g in io}
    names = [s.name for s in model.state_specs()]

    def run(g, feeds, expect):
        outs = sess[g].run(io[g]["outputs"], feeds)
        for name, got in zip(io[g]["outputs"], outs):
            if name in expect:
                if got.shape != expect[name].shape:
                    raise AssertionError(f"{g}.{name}: shape {got.shape} != {expect[name].shape}")
                if got.dtype.kind == "f":
                    diff[g] = max(diff[g], float(np.abs(got - expect[name]).max()))
                elif not np.array_equal(got, expect[name]):
                    raise AssertionError(f"{g}.{name}: integer output differs")
        return dict(zip(io[g]["outputs"], outs))

    for case in cases:
        if case["kind"] == "call":
            run(case["graph"], case["inputs"], case["outputs"])
        elif case["kind"] == "sequence":
            state = dict(case["state"])
            for s in case["steps"]:
                out = run("step", {**state, **s["inputs"]}, s["outputs"])
                state = {n: out["next_" + n] for n in names}  # carry ORT's own state
        else:
            out = run("prefill", case["inputs"], {"logits": case["logits"][0]})
            cache = {c: out[c] for c in model.cache_names}
            for i, t in enumerate(case["tokens"]):
                out = run("decode", {"token": t, **cache}, {"logits": case["logits"][i + 1]})
                cache.update({c: out["next_" + c] for c in model.changing_cache()})
    return diff


# ---------------------------------------------------------------- files

def _tensor_file(arr: np.ndarray, golden_dir: str, fname: str) -> dict:
    arr = np.ascontiguousarray(arr)
    dtype = {"f": "float32", "i": "int64"}[arr.dtype.kind]
    arr.astype("<f4" if dtype == "float32" else "<i8").tofile(os.path.join(golden_dir, fname))
    return {"file": fname, "shape": list(arr.shape), "dtype": dtype}


def write_golden(cases: List[dict], golden_dir: str) -> None:
    os.makedirs(golden_dir, exist_ok=True)
    out = []
    for case in cases:
        c = case["name"]
        w = lambda d, tag: {k: _tensor_file(v, golden_dir, f"{c}.{tag}.{k}.bin") for k, v in d.items()}
        if case["kind"] == "call":
            out.append({"name": c, "kind": "call", "graph": case["graph"],
                        "inputs": w(case["inputs"], "in"), "outputs": w(case["outputs"], "out")})
        elif case["kind"] == "sequence":
            out.append({"name": c, "kind": "sequence", "state": w(case["state"], "state"),
                        "steps": [{"inputs": w(s["inputs"], f"s{i}.in"), "outputs": w(s["outputs"], f"s{i}.out")}
                                  for i, s in enumerate(case["steps"])]})
        else:
            out.append({"name": c, "kind": "generate", "inputs": w(case["inputs"], "in"),
                        "tokens": _tensor_file(case["tokens"], golden_dir, f"{c}.tokens.bin"),
                        "logits": _tensor_file(case["logits"], golden_dir, f"{c}.logits.bin")})
    with open(os.path.join(golden_dir, "cases.json"), "w") as f:
        json.dump({"atol": ATOL, "cases": out}, f, indent=1)


def fingerprint(out_dir: str, manifest: dict) -> str:
    """sha256 over step, prefill, decode graphs, then each state's initial file in manifest order."""
    h = hashlib.sha256()
    files = [manifest["graphs"][g]["file"] for g in ("step", "prefill", "decode")]
    files += [s["initial"] for s in manifest["state"]]
    for f in files:
        with open(os.path.join(out_dir, f), "rb") as fh:
            h.update(fh.read())
    return "sha256:" + h.hexdigest()


def model_id(model: MemoryArch) -> str:
    c = model.cfg
    return f"{model.arch_name}-d{c.d_model}-l{c.n_layers}-m{c.memory_slots}-c{c.chunk_length}"


def export(model: MemoryArch, out_dir: str, training: dict, evaluation: dict,
           with_golden: bool = True) -> dict:
    """Write the whole model directory; returns the manifest. Raises if parity fails."""
    model.eval()
    if os.path.isdir(out_dir):
        # stale files from an older export must not survive (the fingerprint would still match)
        for name in ("step.onnx", "prefill.onnx", "decode.onnx", "manifest.json", "eval.json"):
            if os.path.exists(os.path.join(out_dir, name)):
                os.remove(os.path.join(out_dir, name))
        for sub in ("golden", "initial_state"):
            shutil.rmtree(os.path.join(out_dir, sub), ignore_errors=True)
    os.makedirs(out_dir, exist_ok=True)
    export_graphs(model, out_dir)
    cases = build_cases(model)
    diff = check_with_ort(model, out_dir, cases)
    bad = {g: d for g, d in diff.items() if not d < ATOL}
    if bad:
        raise RuntimeError(f"onnxruntime disagrees with PyTorch beyond {ATOL}: {bad}")
    os.makedirs(os.path.join(out_dir, "initial_state"), exist_ok=True)
    state_entries = []
    with torch.no_grad():
        init = model.init_state(1)
    for spec, t in zip(model.state_specs(), init):
        rel = f"initial_state/{spec.name}.bin"
        _np(t[0]).astype("<f4").tofile(os.path.join(out_dir, rel))
        state_entries.append({"name": spec.name, "shape": list(spec.shape), "dtype": "float32",
                              "next": "next_" + spec.name, "initial": rel})
    if with_golden:
        write_golden(cases, os.path.join(out_dir, "golden"))
    evaluation = dict(evaluation or {})
    evaluation["export_parity_max_abs_diff"] = diff
    io = graph_io(model)
    manifest = {
        "format_version": FORMAT_VERSION,
        "model_id": model_id(model),
        "fingerprint": "",
        "architecture": model.arch_name,
        "opset": OPSET,
        "chunk_length": model.cfg.chunk_length,
        "max_new_tokens": model.cfg.max_new_tokens,
        "memory_slots": model.cfg.memory_slots,
        "tokenizer": tokenizer.manifest_spec(),
        "state": state_entries,
        # "next": null marks a static cache tensor: decode reads it and the caller passes it again
        "cache": [{"name": c, "next": None if c in model.static_cache else "next_" + c} for c in model.cache_names],
        "graphs": {g: {"file": f"{g}.onnx", **io[g]} for g in ("step", "prefill", "decode")},
        "training": {**(training or {}), "model": {"architecture": model.arch_name, **asdict(model.cfg)}},
        "evaluation": evaluation,
    }
    manifest["fingerprint"] = fingerprint(out_dir, manifest)
    with open(os.path.join(out_dir, "eval.json"), "w") as f:
        json.dump(evaluation, f, indent=2)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest
