"""The decode cache shared by the architectures whose cache is every layer's keys and values (rmt,
fam, and infinity with its long-term memory added): how prefill starts it and how one decoded
token moves it on. The model passed in has rmt's names: wte, wpe, blocks (with forward_cached and,
with token shift, shift and ln1), ln_f and head.

Layout, for L layers: prefill's keys and values as one tensor per layer and kind (`cache_k0`,
`cache_v0`, `cache_k1`, ...), each [B, H, T, hd], and their key mask [B, T]; these stay as they
are for the whole generation (static: decode reads them and the graph does not output them again).
The generated positions' keys and values grow in tensors of their own (`cache_new_k0`, ...,
[B, H, t, hd]) with their mask [B, t], and the next position [B]. One tensor per layer because a
graph input is read where it lies, while a slice of a bigger input is a copy: with all layers in
one [B, 2L, H, T, hd] tensor, every decoded token copied the whole prefilled cache once more
(models/default at batch 32 on one thread, bench/decode_profile.py: Gather was 29 % of decode's
kernel time, the four slices of the prefilled cache 18 %; one tensor per layer took the kernel time
from 160.8 to 123.9 ms per 64 tokens; docs/PERFORMANCE.md)."""
from __future__ import annotations

from typing import Tuple

import torch


def _per_layer(prefix: str, n_layers: int) -> Tuple[str, ...]:
    return tuple(f"{prefix}_{kind}{n}" for n in range(n_layers) for kind in "kv")


def kv_cache_names(n_layers: int) -> Tuple[str, ...]:
    """The cache tensors' names in order: prefill's keys/values and mask, the generated ones and
    their mask, the next position."""
    return (_per_layer("cache", n_layers) + ("cache_mask",) + _per_layer("cache_new", n_layers)
            + ("cache_new_mask", "cache_pos"))


def kv_static_names(n_layers: int) -> Tuple[str, ...]:
    """The cache tensors decode passes on unchanged (prefill's keys/values and their mask)."""
    return _per_layer("cache", n_layers) + ("cache_mask",)


def kv_cache_size(n_layers: int) -> int:
    """How many leading cache tensors are the key/value cache (any further ones are the model's own)."""
    return 4 * n_layers + 3


def _parts(cache, n_layers: int):
    """(prefilled kv list, mask, generated kv list, generated mask, next position) of a cache tuple."""
    n = 2 * n_layers
    return cache[:n], cache[n], cache[n + 1:2 * n + 1], cache[2 * n + 1], cache[2 * n + 2]


def last_real(h_chunk, lengths):
    """h_chunk[b, lengths[b] - 1] for every row (the hidden state after each row's last real token),
    selected with a one-hot, no gather."""
    L = h_chunk.shape[1]
    last = (torch.arange(L, device=h_chunk.device).unsqueeze(0) == (lengths - 1).unsqueeze(1))
    return (h_chunk * last.unsqueeze(-1).to(h_chunk.dtype)).sum(dim=1)


def kv_cache_start(kvs, key_ok, lengths):
    """The key/value cache after prefill, from `kvs` = [k0, v0, k1, v1, ...] ([B, H, T, hd] each) and
    the key mask [B, T]: the prefilled tensors and mask; the generated positions' tensors [B, H, 1, hd]
    and mask [B, 1], one masked-out placeholder so far (no tensor has a zero-length axis); the next
    position [B]."""
    mask = key_ok.to(kvs[0].dtype)
    return (tuple(kvs) + (mask,) + tuple(torch.zeros_like(t[:, :, :1]) for t in kvs)
            + (torch.zeros_like(mask[:, :1]), lengths))


def kv_prefill_outputs(model, h, chunk_start: int, kvs, key_ok, tokens, lengths, block_inputs=None):
    """prefill's outputs for the key/value-cache architectures: logits after each row's last real
    token (h[:, chunk_start:] are the chunk's positions), and the cache (kv_cache_start). With token
    shift K also every block's normalised inputs at the last K real tokens, latest first
    [B, layers, K, d] (zeros where the chunk is shorter), which the first decoded token mixes in."""
    L = tokens.shape[1]
    cache = kv_cache_start([t for kv in kvs for t in kv], key_ok, lengths)
    if block_inputs is not None:
        lags = model.blocks[0].shift.shape[0]
        pos = torch.arange(L, device=tokens.device).unsqueeze(0)
        picks = [(pos == (lengths - 1 - j).unsqueeze(1)).unsqueeze(-1).to(h.dtype) for j in range(lags)]
        windows = []
        for blk, x in zip(model.blocks, block_inputs):
            a = blk.ln1(x[:, chunk_start:])
            windows.append(torch.stack([(a * p).sum(dim=1) for p in picks], dim=1))
        cache += (torch.stack(windows, dim=1),)
    return model.head(last_real(h[:, chunk_start:], lengths)), cache


def kv_decode_input(model, token, cache, n_layers: int):
    """A decode step's start over the key/value cache: the new token's input x [B, 1, d], which
    cached and generated keys it may see plus itself (`allowed`), and each layer's (k, v) parts of
    the cache."""
    old, cache_mask, new, new_mask, cache_pos = _parts(cache, n_layers)
    x = (model.wte(token) + model.wpe(cache_pos)).unsqueeze(1)
    ones = torch.ones_like(new_mask[:, :1])
    allowed = (torch.cat([cache_mask, new_mask, ones], dim=1) > 0.5).unsqueeze(1).unsqueeze(1)
    pasts = [[(old[2 * n], old[2 * n + 1]), (new[2 * n], new[2 * n + 1])] for n in range(n_layers)]
    return x, allowed, pasts


def kv_decode_next(cache, new, n_layers: int):
    """The key/value cache after a decode step whose layers produced `new` = [k, v, k, v, ...] for
    the decoded position: the prefilled part passed on unchanged, the generated part grown by one
    position."""
    old, cache_mask, grown, new_mask, cache_pos = _parts(cache, n_layers)
    ones = torch.ones_like(new_mask[:, :1])
    return (tuple(old) + (cache_mask,) + tuple(torch.cat([g, t], dim=2) for g, t in zip(grown, new))
            + (torch.cat([new_mask, ones], dim=1), cache_pos + 1))


def kv_decode(model, token, cache):
    """One token through `model.blocks` over the cache `kv_prefill_outputs` made: the token sees
    every cached key the masks allow plus itself; the generated part of the cache grows by one
    position, the prefilled part is passed on unchanged."""
    n_layers = len(model.blocks)
    shifted = len(cache) > kv_cache_size(n_layers)
    x, allowed, pasts = kv_decode_input(model, token, cache, n_layers)
    new, inputs = [], []
    for n, blk in enumerate(model.blocks):
        prevs = None
        if shifted:  # this block's window of preceding normalised inputs moves on by one
            window = cache[-1][:, n]
            prevs = [window[:, j].unsqueeze(1) for j in range(blk.shift.shape[0])]
            inputs.append(torch.cat([blk.ln1(x), window[:, :-1]], dim=1))
        x, k, v = blk.forward_cached(x, pasts[n], allowed, prevs)
        new += [k, v]
    logits = model.head(model.ln_f(x[:, 0]))
    nxt = kv_decode_next(cache, new, n_layers)
    if shifted:
        nxt += (torch.stack(inputs, dim=1),)
    return logits, nxt
