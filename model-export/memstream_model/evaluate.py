"""Evaluation: what the memory is worth.

- bits per byte on held-out long documents, three ways: memory carried chunk to chunk; memory
  reset to the initial state at every chunk (no memory); full attention over the longest window
  the position table allows, from the initial memory (the reference);
- recall accuracy of the synthetic key-value task against distance in chunks;
- state bytes per stream, measured after short and long streams to show they do not grow.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import checkpoint, data, tokenizer
from .arch import MemoryArch, state_bytes

DISTANCES = (1, 2, 4, 8, 16, 32)


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", default=None, help="corpus (default: the one the model was trained on)")
    p.add_argument("--holdout-frac", type=float, default=None)
    p.add_argument("--docs", type=int, default=16, help="held-out documents")
    p.add_argument("--doc-chunks", type=int, default=16, help="chunks per held-out document")
    p.add_argument("--recall-trials", type=int, default=100, help="streams per distance")
    p.add_argument("--distances", default=",".join(map(str, DISTANCES)))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--fact-offset", type=int, default=0,
                   help="facts start after up to this many tokens of filler in their chunk (default 0: "
                        "right after BOS, where training put them unless --kv-offset)")
    p.add_argument("--facts", type=int, default=None,
                   help="facts per recall stream (default: the number the model was trained with)")
    p.add_argument("--out", required=True, help="eval.json to write")


def held_out_docs(heldout, n_docs: int, length: int, seed: int):
    """Deterministic documents: evenly spaced windows over the held-out text, BOS first."""
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(n_docs):
        w = data.text_window(rng, heldout, length - 1)
        docs.append(np.concatenate([[tokenizer.BOS], w]))
    return torch.tensor(np.stack(docs))


@torch.no_grad()
def stream_bits(model: MemoryArch, docs: torch.Tensor, chunk: int, carry: bool) -> float:
    """Total bits of all docs read in pieces of `chunk`, carrying the state or resetting it."""
    B, T = docs.shape
    state = model.init_state(B)
    bits = 0.0
    for a in range(0, T, chunk):
        tk = docs[:, a:a + chunk]
        ln = torch.full((B,), tk.shape[1], dtype=torch.int64)
        logits, nxt = model.step(state if carry or a == 0 else model.init_state(B), tk, ln)
        bits += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tk.reshape(-1),
                                      reduction="sum")) / math.log(2)
        state = nxt
    return bits


def bits_per_byte(model: MemoryArch, docs: torch.Tensor) -> dict:
    C = model.cfg.chunk_length
    W = model.max_step_length()
    n_bytes = int((docs < 256).sum())
    carried = stream_bits(model, docs, C, True) / n_bytes
    reset = stream_bits(model, docs, C, False) / n_bytes
    full = stream_bits(model, docs, W, False) / n_bytes
    return {"memory_carried": carried, "memory_reset": reset, f"full_attention_window_{W}": full,
            "memory_gain_percent": 100.0 * (reset - carried) / reset, "window": W,
            "bytes": n_bytes}


@torch.no_grad()
def recall(model: MemoryArch, heldout, distances, trials: int, n_facts: int, seed: int,
           fact_offset: int = 0) -> dict:
    """Teacher-forced: a fact counts as recalled when the argmax of every value digit is right.
    With fact_offset the facts start after up to that many tokens of filler in their chunk."""
    C = model.cfg.chunk_length
    kv = data.KVConfig(n_facts=n_facts, max_offset=fact_offset)
    res = {}
    for d in distances:
        rng = np.random.default_rng([seed, d])
        total = (d + 1) * C
        rows = [data.kv_stream(rng, heldout, kv, C, total, d) for _ in range(trials)]
        toks = torch.tensor(np.stack([r[0] for r in rows]))
        mask = torch.tensor(np.stack([r[1] for r in rows]))
        B = toks.shape[0]
        state = model.init_state(B)
        hit = torch.zeros_like(mask)
        for a in range(0, total, C):
            tk = toks[:, a:a + C]
            logits, state = model.step(state, tk, torch.full((B,), tk.shape[1], dtype=torch.int64))
            hit[:, a:a + C] = logits.argmax(-1) == tk
        digits = hit[mask].view(B, n_facts, kv.val_len)
        # The fact asked first is the honest test of key -> value binding: once it is answered, a
        # model that stored the values but not their keys can name the remaining ones by elimination.
        res[str(d)] = {"fact_accuracy": float(digits.all(-1).float().mean()),
                       "first_asked_accuracy": float(digits[:, 0].all(-1).float().mean()),
                       "digit_accuracy": float(digits.float().mean()), "trials": B * n_facts}
    return res


@torch.no_grad()
def state_size(model: MemoryArch) -> dict:
    """Bytes of the state after 1 chunk and after 64 chunks: they must be equal."""
    C = model.cfg.chunk_length
    g = torch.Generator().manual_seed(0)
    sizes = {}
    for n in (1, 8, 64):
        state = model.init_state(1)
        for _ in range(n):
            tk = torch.randint(0, 256, (1, C), generator=g)
            _, state = model.step(state, tk, torch.tensor([C]))
        sizes[str(n * C)] = int(sum(s[0].numel() * s.element_size() for s in state))
    return {"bytes_per_stream": state_bytes(model), "measured_after_tokens": sizes,
            "constant": len(set(sizes.values())) == 1,
            "state": {s.name: list(s.shape) for s in model.state_specs()}}


def evaluate(model: MemoryArch, corpus_spec: str, holdout_frac: float, n_docs=16, doc_chunks=16,
             trials=100, distances=DISTANCES, n_facts=2, seed=1, fact_offset=0) -> dict:
    model.eval()
    t0 = time.time()
    corpus = data.split(data.load_corpus(corpus_spec), holdout_frac)
    C = model.cfg.chunk_length
    docs = held_out_docs(corpus.heldout, n_docs, doc_chunks * C, seed)
    out = {"bits_per_byte": bits_per_byte(model, docs)}
    out["bits_per_byte"]["documents"] = n_docs
    out["bits_per_byte"]["document_tokens"] = doc_chunks * C
    fits = 1 + n_facts * data.KVConfig(n_facts).fact_len() <= C
    out["recall"] = recall(model, corpus.heldout, distances, trials, n_facts, seed, fact_offset) if fits else {}
    out["recall_task"] = {"n_facts": n_facts, "format": "@kq=381; ... ?kq=381;", "key_len": 2, "val_len": 3,
                          "fact_offset_max": fact_offset,
                          "scored": "all value digits argmax-correct, teacher-forced"}
    out["state"] = state_size(model)
    out["corpus"] = corpus_spec
    out["seconds"] = round(time.time() - t0, 1)
    return out


def table(ev: dict) -> str:
    b = ev["bits_per_byte"]
    lines = ["bits per byte (held-out, %d docs x %d tokens)" % (b["documents"], b["document_tokens"]),
             f"  memory carried        {b['memory_carried']:.4f}",
             f"  memory reset          {b['memory_reset']:.4f}",
             f"  full attention (W={b['window']:<4}) {b['full_attention_window_%d' % b['window']]:.4f}",
             f"  memory gain           {b['memory_gain_percent']:.2f} %",
             "recall vs distance (chunks): fact acc / digit acc / first-asked fact acc"
             + (f" (facts after 0-{ev['recall_task']['fact_offset_max']} tokens of their chunk)"
                if ev.get("recall_task", {}).get("fact_offset_max") else "")]
    for d, r in ev["recall"].items():
        lines.append(f"  {d:>3}  {r['fact_accuracy']:.3f} / {r['digit_accuracy']:.3f} / "
                     f"{r['first_asked_accuracy']:.3f}  (n={r['trials']})")
    s = ev["state"]
    lines.append(f"state bytes per stream {s['bytes_per_stream']}; measured {s['measured_after_tokens']}; "
                 f"constant: {s['constant']}")
    return "\n".join(lines)


def main(a) -> int:
    model, ck = checkpoint.load(a.checkpoint)
    tc = ck["train_config"]
    ev = evaluate(model, a.data or tc.get("data", "kjv,jargon"),
                  a.holdout_frac if a.holdout_frac is not None else tc.get("holdout_frac", 0.05),
                  a.docs, a.doc_chunks, a.recall_trials, [int(x) for x in a.distances.split(",")],
                  a.facts or tc.get("kv_facts", 2), a.seed, a.fact_offset)
    ev["checkpoint_step"] = ck["step"]
    print(table(ev))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(ev, f, indent=2)
    return 0
