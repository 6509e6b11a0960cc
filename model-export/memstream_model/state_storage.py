"""How memstream may store a model's recurrent state: float16, or float32 only.

memstream writes every stream's state to its store and changelog after each chunk. float16 halves
those bytes (and a third of the broker's CPU per chunk went with them, docs/performance-runs.md,
"Run R"), but the state is rounded each time it is stored and the next chunk reads the rounded
value, so the error compounds along a stream. Whether a model tolerates that is a property of the
model, so model-export measures it and the manifest says it (`state_storage`); memstream's
`state.dtype=auto`, its default, follows it. The Java side stays model-agnostic: it reads a dtype.

The check reads held-out documents chunk by chunk twice, through the exported step graph as
memstream runs it: the state carried as float32, and rounded to float16 between chunks exactly as
memstream's codec stores it (a tensor holding a value beyond float16's range, 65504, is stored as
float32 instead). float16 is recommended when no chunk's bits per byte moves by more than
`BOUND_BPB`.
"""
from __future__ import annotations

import argparse
import json
import os
from typing import Callable, Dict, Optional, Tuple

import numpy as np
import torch

from . import data, evaluate, export

FLOAT16_MAX = 65504.0
# The bound memstream's own test holds float16 storage to (Fp16StateTest), in bits per byte: about
# 3% of what the default model's memory is worth (2.763 bits per byte with the memory reset at
# every chunk against 2.417 carried).
BOUND_BPB = 0.01
# The documents' draw unless --seed says otherwise; the manifest records the one used.
SEED = 1

# A step: state tensors by name, tokens [B, L] and lengths [B] in; the next state by name and the
# bits of every token [B, L] out.
Step = Callable[[Dict[str, np.ndarray], np.ndarray, np.ndarray], Tuple[Dict[str, np.ndarray], np.ndarray]]


def stored(t: np.ndarray) -> np.ndarray:
    """A state tensor as memstream reads it back after storing it as float16, row by row: the
    codec stores one stream's tensor whole, in float16 unless a finite value is beyond float16's
    range (an infinity or NaN already there is no reason for float32: float16 keeps it)."""
    out = t.astype(np.float32, copy=True)
    for row in range(out.shape[0]):
        finite = out[row][np.isfinite(out[row])]
        if np.abs(finite).max(initial=0.0) <= FLOAT16_MAX:
            out[row] = out[row].astype(np.float16).astype(np.float32)
    return out


def bits_per_chunk(step: Step, initial: Dict[str, np.ndarray], docs: np.ndarray, chunk: int,
                   float16: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Bits and bytes of each chunk [B, chunks] of documents [B, T] read in turn, the state carried
    chunk to chunk."""
    b = docs.shape[0]
    state = {n: np.repeat(v[None], b, axis=0).astype(np.float32) for n, v in initial.items()}
    bits, n_bytes = [], []
    for a in range(0, docs.shape[1], chunk):
        tokens = docs[:, a:a + chunk].astype(np.int64)
        lengths = np.full((b,), tokens.shape[1], dtype=np.int64)
        if float16 and a > 0:  # a stream's first chunk reads the initial state, which is not stored
            state = {n: stored(v) for n, v in state.items()}
        state, token_bits = step(state, tokens, lengths)
        bits.append(token_bits.sum(axis=1))
        n_bytes.append((tokens < 256).sum(axis=1))
    return np.stack(bits, axis=1), np.stack(n_bytes, axis=1)


def check(step: Step, initial: Dict[str, np.ndarray], docs: np.ndarray, chunk: int,
          bound: float = BOUND_BPB) -> dict:
    """The manifest's `state_storage`: the dtype to store the state in, and the figures behind it.
    float16 when no chunk's bits per byte moved by more than `bound` (memstream's Fp16StateTest
    holds its own codec to the same bound, chunk by chunk)."""
    bits32, n_bytes = bits_per_chunk(step, initial, docs, chunk, float16=False)
    bits16, _ = bits_per_chunk(step, initial, docs, chunk, float16=True)
    counted = n_bytes > 0  # a chunk of specials alone has no bits per byte
    worst = float((np.abs(bits16 - bits32)[counted] / n_bytes[counted]).max())
    total = n_bytes.sum()
    return {
        "dtype": "float16" if worst <= bound else "float32",
        "float16_check": {
            "documents": int(docs.shape[0]),
            "chunks_per_document": int(n_bytes.shape[1]),
            "bits_per_byte_float32": float(bits32.sum() / total),
            "bits_per_byte_float16": float(bits16.sum() / total),
            "max_abs_difference_per_chunk": worst,
            "bound": bound,
        },
    }


def ort_step(model_dir: str, manifest: dict, threads: int = 2) -> Step:
    """The exported step graph on onnxruntime's CPU provider."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    graph = manifest["graphs"]["step"]
    sess = ort.InferenceSession(os.path.join(model_dir, graph["file"]), opts, providers=["CPUExecutionProvider"])
    names = [s["name"] for s in manifest["state"]]
    # token_bits is an optional output (docs/model-contract.md): without it, from the logits
    last = "token_bits" if "token_bits" in graph["outputs"] else "logits"
    outputs = ["next_" + n for n in names] + [last]

    def step(state, tokens, lengths):
        got = sess.run(outputs, {**state, "tokens": tokens, "lengths": lengths})
        if last == "token_bits":
            bits = got[-1]
        else:  # what the graph's token_bits output would have given (export.token_bits)
            bits = export.token_bits(*(torch.from_numpy(x) for x in (got[-1], tokens, lengths))).numpy()
        return dict(zip(names, got[:-1])), bits
    return step


def initial_state(model_dir: str, manifest: dict) -> Dict[str, np.ndarray]:
    return {s["name"]: np.fromfile(os.path.join(model_dir, s["initial"]), dtype="<f4").reshape(s["shape"])
            for s in manifest["state"]}


def draw(manifest: dict, seed: int = SEED, corpus_spec: Optional[str] = None,
         holdout_frac: Optional[float] = None) -> dict:
    """Where the check's documents come from: the corpus and holdout the manifest says the model was
    trained with (unless given), and the seed of the draw. The manifest records it with the figures,
    so that anyone can draw the same documents and repeat the check."""
    training = manifest.get("training", {})
    spec = corpus_spec or training.get("data")
    if not spec:
        raise ValueError(f"{manifest['model_id']}: no --data given and the manifest names no training corpus")
    frac = holdout_frac if holdout_frac is not None else training.get("holdout_frac", 0.05)
    return {"data": spec, "holdout_frac": frac, "seed": seed}


def documents(manifest: dict, n_docs: int, doc_chunks: int, drawn: dict) -> np.ndarray:
    """Held-out documents of `doc_chunks` chunks, drawn as evaluate draws them, from `drawn` (see `draw`)."""
    heldout = data.split(data.load_corpus(drawn["data"]), drawn["holdout_frac"]).heldout
    return evaluate.held_out_docs(heldout, n_docs, doc_chunks * manifest["chunk_length"], drawn["seed"]).numpy()


def annotate(model_dir: str, docs: np.ndarray, bound: float = BOUND_BPB, drawn: Optional[dict] = None) -> dict:
    """Measures the model directory's step graph and writes `state_storage` into its manifest, with
    where the documents came from (`drawn`, when they came from `draw`). The fingerprint covers the
    graphs and initial states only, so it stays as it was."""
    path = os.path.join(model_dir, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    result = check(ort_step(model_dir, manifest), initial_state(model_dir, manifest), docs,
                   manifest["chunk_length"], bound)
    if drawn is not None:
        result["float16_check"]["documents_from"] = drawn
    manifest["state_storage"] = result
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return result


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model_dir", nargs="+", help="exported model directories")
    p.add_argument("--data", default=None, help="corpus (default: the one each model was trained on)")
    p.add_argument("--holdout-frac", type=float, default=None)
    p.add_argument("--docs", type=int, default=8, help="held-out documents")
    p.add_argument("--doc-chunks", type=int, default=256, help="chunks per document")
    p.add_argument("--bound", type=float, default=BOUND_BPB, help="bits per byte float16 may move any chunk")
    p.add_argument("--seed", type=int, default=SEED)


def main(a) -> int:
    for model_dir in a.model_dir:
        with open(os.path.join(model_dir, "manifest.json")) as f:
            m = json.load(f)
        try:
            drawn = draw(m, a.seed, a.data, a.holdout_frac)
        except ValueError as e:
            raise SystemExit(str(e))
        result = annotate(model_dir, docs=documents(m, a.docs, a.doc_chunks, drawn), bound=a.bound, drawn=drawn)
        print(json.dumps({"model_dir": model_dir, **result}, indent=1))
    return 0

