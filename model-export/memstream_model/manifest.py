"""Validate a model directory against docs/model-contract.md (used by tests and `validate`)."""
from __future__ import annotations

import json
import os
from typing import List

import numpy as np

from .export import fingerprint

REQUIRED = ["format_version", "model_id", "fingerprint", "architecture", "opset", "chunk_length",
            "max_new_tokens", "memory_slots", "tokenizer", "state", "cache", "graphs", "training",
            "evaluation"]


def validate(model_dir: str, check_onnx: bool = True) -> List[str]:
    """Returns a list of problems (empty when the directory satisfies the contract)."""
    errs: List[str] = []
    path = os.path.join(model_dir, "manifest.json")
    if not os.path.exists(path):
        return [f"{path} missing"]
    with open(path) as f:
        m = json.load(f)
    errs += [f"manifest key {k!r} missing" for k in REQUIRED if k not in m]
    if errs:
        return errs
    if m["opset"] != 17:
        errs.append(f"opset {m['opset']} != 17")
    tok = m["tokenizer"]
    if tok.get("type") != "byte" or tok.get("vocab_size") != 260 or tok.get("specials") != \
            {"pad": 256, "bos": 257, "eos": 258, "sep": 259}:
        errs.append(f"tokenizer spec differs from the contract: {tok}")
    states = [s["name"] for s in m["state"]]
    for s in m["state"]:
        p = os.path.join(model_dir, s["initial"])
        n = int(np.prod(s["shape"]))
        if s.get("dtype") != "float32":
            errs.append(f"state {s['name']}: dtype {s.get('dtype')}")
        if s.get("next") != "next_" + s["name"]:
            errs.append(f"state {s['name']}: next {s.get('next')}")
        if not os.path.exists(p):
            errs.append(f"initial state file {p} missing")
        elif os.path.getsize(p) != 4 * n:
            errs.append(f"{p}: {os.path.getsize(p)} bytes, expected {4 * n}")
    storage = m.get("state_storage")  # optional: written by `state-storage` (state_storage.py)
    if storage is not None and storage.get("dtype") not in ("float32", "float16"):
        errs.append(f"state_storage dtype {storage.get('dtype')!r}: float32 or float16")
    cache = [c["name"] for c in m["cache"]]
    step_out = ["logits"] + ["next_" + s for s in states]
    if m["graphs"].get("step", {}).get("outputs", [])[-1:] == ["token_bits"]:
        step_out.append("token_bits")  # optional: each token's bits, computed in the graph
    want = {"step": (states + ["tokens", "lengths"], step_out),
            "prefill": (states + ["tokens", "lengths"], ["logits"] + cache),
            "decode": (["token"] + cache, ["logits"] + [c["next"] for c in m["cache"] if c["next"] is not None])}
    for g, (ins, outs) in want.items():
        gm = m["graphs"].get(g)
        if gm is None:
            errs.append(f"graph {g} missing")
            continue
        if gm["inputs"] != ins or gm["outputs"] != outs:
            errs.append(f"graph {g}: io {gm['inputs']} -> {gm['outputs']}, expected {ins} -> {outs}")
        f = os.path.join(model_dir, gm["file"])
        if not os.path.exists(f):
            errs.append(f"{f} missing")
            continue
        if check_onnx:
            import onnx
            om = onnx.load(f)
            got_in = [i.name for i in om.graph.input]
            got_out = [o.name for o in om.graph.output]
            if got_in != ins or got_out != outs:
                errs.append(f"{f}: onnx io {got_in} -> {got_out} differs from the manifest")
            ops = [o.version for o in om.opset_import if o.domain in ("", "ai.onnx")]
            if ops != [17]:
                errs.append(f"{f}: opset {ops}")
            for i in om.graph.input:
                d0 = i.type.tensor_type.shape.dim[0]
                if not d0.dim_param:
                    errs.append(f"{f}: input {i.name} has a fixed batch dimension")
    if not errs and fingerprint(model_dir, m) != m["fingerprint"]:
        errs.append("fingerprint does not match the files")
    golden = os.path.join(model_dir, "golden", "cases.json")
    if os.path.exists(golden):
        with open(golden) as f:
            g = json.load(f)
        kinds = {c["kind"] for c in g["cases"]}
        if kinds != {"call", "sequence", "generate"}:
            errs.append(f"golden case kinds {kinds}")
    return errs
