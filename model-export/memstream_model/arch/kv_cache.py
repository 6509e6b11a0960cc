"""The decode cache shared by the architectures whose cache is every layer's keys and values (rmt,
fam, and infinity with its long-term memory added): how prefill starts it and how one decoded
token moves it on. The model passed in has rmt's names: wte, wpe, blocks (with forward_cached and,
with token shift, shift and ln1), ln_f and head."""
from __future__ import annotations

import torch

# The decode cache of the architectures whose cache is every layer's keys/values (rmt, fam):
# prefill's keys/values and key mask stay as they are for the whole generation (static: decode
# reads them and the graph does not output them again), and the generated positions' keys/values
# grow in a separate small tensor, so a generated token copies only what was generated so far.
KV_CACHE = ("cache_kv", "cache_mask", "cache_new_kv", "cache_new_mask", "cache_pos")
KV_STATIC = ("cache_kv", "cache_mask")


def last_real(h_chunk, lengths):
    """h_chunk[b, lengths[b] - 1] for every row (the hidden state after each row's last real token),
    selected with a one-hot, no gather."""
    L = h_chunk.shape[1]
    last = (torch.arange(L, device=h_chunk.device).unsqueeze(0) == (lengths - 1).unsqueeze(1))
    return (h_chunk * last.unsqueeze(-1).to(h_chunk.dtype)).sum(dim=1)


def kv_cache_start(cache_kv, key_ok, lengths):
    """The first five KV_CACHE tensors after prefill: the prefilled positions' kv [B, 2*layers, H,
    T, hd] and key mask [B, T]; the generated positions' kv [B, 2*layers, H, 1, hd] and mask [B, 1],
    one masked-out placeholder so far (no tensor has a zero-length axis); next position [B]."""
    mask = key_ok.to(cache_kv.dtype)
    return (cache_kv, mask, torch.zeros_like(cache_kv[:, :, :, :1]), torch.zeros_like(mask[:, :1]), lengths)


def kv_prefill_outputs(model, h, chunk_start: int, kvs, key_ok, tokens, lengths, block_inputs=None):
    """prefill's outputs for the key/value-cache architectures: logits after each row's last real
    token (h[:, chunk_start:] are the chunk's positions), and the cache KV_CACHE (kv_cache_start).
    With token shift K also every block's normalised inputs at the last K real tokens, latest first
    [B, layers, K, d] (zeros where the chunk is shorter), which the first decoded token mixes in."""
    L = tokens.shape[1]
    cache = kv_cache_start(torch.stack([t for kv in kvs for t in kv], dim=1), key_ok, lengths)
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


def kv_decode_input(model, token, cache):
    """A decode step's start over a KV_CACHE: the new token's input x [B, 1, d], which cached and
    generated keys it may see plus itself (`allowed`), and each layer's (k, v) parts of the cache."""
    cache_kv, cache_mask, new_kv, new_mask, cache_pos = cache[:5]
    x = (model.wte(token) + model.wpe(cache_pos)).unsqueeze(1)
    ones = torch.ones_like(new_mask[:, :1])
    allowed = (torch.cat([cache_mask, new_mask, ones], dim=1) > 0.5).unsqueeze(1).unsqueeze(1)
    pasts = [[(cache_kv[:, 2 * n], cache_kv[:, 2 * n + 1]), (new_kv[:, 2 * n], new_kv[:, 2 * n + 1])]
             for n in range(cache_kv.shape[1] // 2)]
    return x, allowed, pasts


def kv_decode_next(cache, new):
    """The first five KV_CACHE tensors after a decode step whose layers produced `new` = [k, v, k, v,
    ...] for the decoded position: the prefilled part passed on unchanged, the generated part grown
    by one position."""
    cache_kv, cache_mask, new_kv, new_mask, cache_pos = cache[:5]
    ones = torch.ones_like(new_mask[:, :1])
    return (cache_kv, cache_mask, torch.cat([new_kv, torch.stack(new, dim=1)], dim=3),
            torch.cat([new_mask, ones], dim=1), cache_pos + 1)


def kv_decode(model, token, cache):
    """One token through `model.blocks` over the cache `kv_prefill_outputs` made: the token sees
    every cached key the masks allow plus itself; the generated part of the cache grows by one
    position, the prefilled part is passed on unchanged."""
    shifted = len(cache) > 5
    x, allowed, pasts = kv_decode_input(model, token, cache)
    new, inputs = [], []
    for n, blk in enumerate(model.blocks):
        prevs = None
        if shifted:  # this block's window of preceding normalised inputs moves on by one
            window = cache[5][:, n]
            prevs = [window[:, j].unsqueeze(1) for j in range(blk.shift.shape[0])]
            inputs.append(torch.cat([blk.ln1(x), window[:, :-1]], dim=1))
        x, k, v = blk.forward_cached(x, pasts[n], allowed, prevs)
        new += [k, v]
    logits = model.head(model.ln_f(x[:, 0]))
    nxt = kv_decode_next(cache, new)
    if shifted:
        nxt += (torch.stack(inputs, dim=1),)
    return logits, nxt
