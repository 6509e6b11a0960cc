"""Byte-level tokenizer shared bit-for-bit with the Java side (docs/model-contract.md, "Tokenizer").

Bytes are their own ids (0..255) so any UTF-8 text works with no vocabulary file to download or
keep in sync; a handful of specials sit above the byte range.
"""
from __future__ import annotations

from typing import Iterable, List

PAD = 256
BOS = 257
EOS = 258
SEP = 259
VOCAB_SIZE = 260
SPECIALS = {"pad": PAD, "bos": BOS, "eos": EOS, "sep": SEP}


def encode(text: str, bos: bool = False) -> List[int]:
    ids = list(text.encode("utf-8"))
    return [BOS] + ids if bos else ids


def decode(ids: Iterable[int]) -> str:
    """Bytes decode as UTF-8 with replacement; specials are dropped and EOS ends the text."""
    out = bytearray()
    for i in ids:
        i = int(i)
        if i == EOS:
            break
        if 0 <= i < 256:
            out.append(i)
    return out.decode("utf-8", errors="replace")


def count_bytes(ids: Iterable[int]) -> int:
    """Bits per byte divide by byte tokens only: specials are not text."""
    return sum(1 for i in ids if 0 <= int(i) < 256)


def manifest_spec() -> dict:
    return {
        "type": "byte",
        "vocab_size": VOCAB_SIZE,
        "encoding": "utf-8",
        "specials": dict(SPECIALS),
        "bos_at_stream_start": True,
    }
