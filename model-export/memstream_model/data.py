"""Training and evaluation data: natural text from Debian packages or any directory of .txt,
mixed with a synthetic long-range key-value task.

Every batch is a pure function of (seed, step), so training resumed from a checkpoint sees the
same data it would have seen without the interruption.
"""
from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

from . import tokenizer

JARGON = "/usr/share/doc/jargon-text/jargon.txt.gz"


def _kjv() -> bytes:
    """The King James Bible. bible-kjv-text stores it in the BRS program's own compressed format
    (/usr/lib/bible.data, not gzip), so the `bible` program from bible-kjv prints it."""
    exe = shutil.which("bible")
    if not exe:
        raise FileNotFoundError("corpus 'kjv' needs the `bible` program (apt-get install bible-kjv)")
    out = subprocess.run([exe, "-l0", "gen1:1-rev22:21"], capture_output=True, timeout=120, check=True,
                         stdin=subprocess.DEVNULL).stdout
    if len(out) < 1_000_000:
        raise RuntimeError(f"`bible` printed only {len(out)} bytes")
    return out


def _read(path: str) -> bytes:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def load_corpus(spec: str) -> List[Tuple[str, bytes]]:
    """spec: comma-separated items, each `kjv`, `jargon`, a .txt/.txt.gz file or a directory
    (searched recursively for .txt and .txt.gz). Returns (name, bytes) documents, sorted."""
    docs = []
    for item in [s.strip() for s in spec.split(",") if s.strip()]:
        if item == "kjv":
            docs.append(("kjv", _kjv()))
        elif item == "jargon":
            if not os.path.exists(JARGON):
                raise FileNotFoundError(f"corpus 'jargon' needs {JARGON} (apt-get install jargon-text)")
            docs.append(("jargon", _read(JARGON)))
        elif os.path.isdir(item):
            found = []
            for root, _, files in os.walk(item):
                found += [os.path.join(root, f) for f in files if f.endswith((".txt", ".txt.gz"))]
            if not found:
                raise FileNotFoundError(f"no .txt files under {item}")
            docs += [(p, _read(p)) for p in sorted(found)]
        elif os.path.isfile(item):
            docs.append((item, _read(item)))
        else:
            raise FileNotFoundError(f"corpus item {item!r} is not kjv, jargon, a file or a directory")
    docs = [(n, d) for n, d in docs if len(d) > 0]
    if not docs:
        raise ValueError(f"corpus {spec!r} is empty")
    return docs


@dataclass
class Split:
    train: List[np.ndarray]
    heldout: List[np.ndarray]


def split(docs: List[Tuple[str, bytes]], holdout_frac: float = 0.05) -> Split:
    """The last `holdout_frac` of every document is held out: deterministic, and the held-out
    text is long contiguous stretches, as evaluation on long documents needs."""
    train, held = [], []
    for _, d in docs:
        a = np.frombuffer(d, dtype=np.uint8).astype(np.int64)
        cut = max(1, int(round(len(a) * (1 - holdout_frac))))
        cut = min(cut, len(a) - 1) if len(a) > 1 else len(a)
        train.append(a[:cut])
        if cut < len(a):
            held.append(a[cut:])
    if not held:
        held = [train[0]]
    return Split(train, held)


def text_window(rng: np.random.Generator, pool: List[np.ndarray], n: int) -> np.ndarray:
    """n bytes from a random place, documents weighted by length; short corpora repeat."""
    sizes = np.array([len(p) for p in pool], dtype=np.float64)
    d = pool[int(rng.choice(len(pool), p=sizes / sizes.sum()))]
    if len(d) <= n:
        reps = n // len(d) + 2
        d = np.tile(d, reps)
    start = int(rng.integers(0, len(d) - n + 1))
    return d[start:start + n].copy()


# ---------------------------------------------------------------- synthetic key-value recall

KEY_CHARS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
VAL_CHARS = np.frombuffer(b"0123456789", dtype=np.uint8)


@dataclass
class KVConfig:
    n_facts: int = 2
    key_len: int = 2
    val_len: int = 3
    max_offset: int = 0  # the facts start up to this many tokens of filler after BOS (0: right after it)

    def fact_len(self) -> int:
        return 1 + self.key_len + 1 + self.val_len + 1  # "@kq=381;"


def kv_stream(rng: np.random.Generator, pool: List[np.ndarray], cfg: KVConfig, chunk: int,
              total: int, distance: int) -> Tuple[np.ndarray, np.ndarray]:
    """A stream of `total` tokens: BOS and the facts "@kq=381;" open chunk 0 (after up to
    `cfg.max_offset` tokens of filler), natural filler text follows, and the queries "?kq=381;"
    start at a random place in chunk `distance`, so they can only be answered through memory
    carried `distance` chunks. Distance 0 asks in chunk 0
    itself, after the facts: an in-context lookup, which teaches the predictor the key-matching
    ("induction") circuit that reading facts back out of memory needs as well. Returns (tokens,
    mask) where mask marks the value digits of the queries (the scored answer tokens)."""
    span = cfg.n_facts * cfg.fact_len()
    if 1 + span > chunk:
        raise ValueError(f"{cfg.n_facts} facts need {1 + span} tokens, chunk is {chunk}")
    if (distance + 1) * chunk > total:
        raise ValueError(f"distance {distance} needs {(distance + 1) * chunk} tokens, stream has {total}")
    toks = text_window(rng, pool, total)
    mask = np.zeros(total, dtype=bool)
    keys = set()
    while len(keys) < cfg.n_facts:
        keys.add(bytes(rng.choice(KEY_CHARS, cfg.key_len)))
    keys = sorted(keys)
    vals = [bytes(rng.choice(VAL_CHARS, cfg.val_len)) for _ in keys]
    facts = b"".join(b"@" + k + b"=" + v + b";" for k, v in zip(keys, vals))
    if distance == 0 and 1 + 2 * span > chunk:
        raise ValueError(f"{cfg.n_facts} facts and their queries need {1 + 2 * span} tokens, chunk is {chunk}")
    # Drawn only when asked for, so that streams without an offset stay as they always were.
    room = chunk - 1 - span * (2 if distance == 0 else 1)
    start = 1 + (int(rng.integers(0, min(cfg.max_offset, room) + 1)) if cfg.max_offset > 0 else 0)
    toks[0] = tokenizer.BOS
    toks[start:start + len(facts)] = np.frombuffer(facts, dtype=np.uint8)
    order = rng.permutation(len(keys))
    lo = start + span if distance == 0 else distance * chunk
    q0 = lo + int(rng.integers(0, distance * chunk + chunk - span - lo + 1))
    p = q0
    for i in order:
        q = b"?" + keys[i] + b"=" + vals[i] + b";"
        toks[p:p + len(q)] = np.frombuffer(q, dtype=np.uint8)
        v0 = p + 2 + cfg.key_len
        mask[v0:v0 + cfg.val_len] = True
        p += len(q)
    return toks, mask


def batch(seed: int, step: int, pool: List[np.ndarray], batch_size: int, chunk: int, n_chunks: int,
          extra: int, kv_fraction: float, kv: KVConfig, max_distance: int, in_context: float = 0.0):
    """Batch for one training step: rows of n_chunks*chunk + extra tokens (the last chunk is
    extended by `extra` so the position rows used by generation get trained too). Returns
    tokens[B,T] int64 and answer mask[B,T]. A share `in_context` of the key-value rows ask in the
    facts' own chunk (distance 0)."""
    rng = np.random.default_rng([seed, step])
    total = n_chunks * chunk + extra
    toks = np.zeros((batch_size, total), dtype=np.int64)
    mask = np.zeros((batch_size, total), dtype=bool)
    n_kv = int(round(batch_size * kv_fraction))
    for r in range(batch_size):
        if r < n_kv:
            d = int(rng.integers(1, max(1, max_distance) + 1))
            if in_context > 0 and rng.random() < in_context:
                d = 0
            toks[r], mask[r] = kv_stream(rng, pool, kv, chunk, total, d)
        else:
            toks[r] = text_window(rng, pool, total)
            toks[r, 0] = tokenizer.BOS  # every training row is a stream start, as in the Java app
    return toks, mask
