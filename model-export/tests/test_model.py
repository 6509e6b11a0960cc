"""Behaviour every architecture must have, whatever is inside it."""
import pytest
import torch

from conftest import TINY, tiny
from memstream_model import tokenizer
from memstream_model.arch import ConfigError, build, read_stream

V = 260


def rand_tokens(b, l, seed=0):
    return torch.randint(0, 256, (b, l), generator=torch.Generator().manual_seed(seed))


def lens(*xs):
    return torch.tensor(xs, dtype=torch.int64)


@torch.no_grad()
def test_shapes(model):
    C = model.cfg.chunk_length
    for b, l in [(1, 1), (3, 7), (2, C)]:
        st = model.init_state(b)
        logits, nxt = model.step(st, rand_tokens(b, l), torch.full((b,), l))
        assert logits.shape == (b, l, V)
        assert [tuple(s.shape) for s in nxt] == [(b, *spec.shape) for spec in model.state_specs()]
        pl, cache = model.prefill(st, rand_tokens(b, l), torch.full((b,), l))
        assert pl.shape == (b, V)
        assert all(c.shape[0] == b for c in cache) and len(cache) == len(model.cache_names)
        dl, cache2 = model.decode(torch.zeros(b, dtype=torch.int64), cache)
        assert dl.shape == (b, V) and len(cache2) == len(cache)


@torch.no_grad()
def test_causality(model):
    """Changing token t never changes logits[:, :t+1] (logits[:, t] predicts token t)."""
    C = model.cfg.chunk_length
    st = model.init_state(1)
    a = rand_tokens(1, C)
    la, _ = model.step(st, a, lens(C))
    for t in (0, 5, C - 1):
        b = a.clone()
        b[0, t] = (b[0, t] + 1) % 256
        lb, _ = model.step(st, b, lens(C))
        assert torch.allclose(la[:, :t + 1], lb[:, :t + 1], atol=1e-6)
        if t + 1 < C:
            assert not torch.allclose(la[:, t + 1:], lb[:, t + 1:])


@torch.no_grad()
def test_padding_invariance(model):
    C = model.cfg.chunk_length
    st = tuple(s + 0.1 * torch.randn(s.shape, generator=torch.Generator().manual_seed(3))
               for s in model.init_state(3))
    toks = rand_tokens(3, C, seed=1)
    ln = lens(C, 5, 1)
    padded = toks.clone()
    for r, n in enumerate(ln.tolist()):
        padded[r, n:] = tokenizer.PAD
    lg, nx = model.step(st, padded, ln)
    garbage = padded.clone()
    garbage[1, 5:] = 7  # whatever sits in the padding must not matter either
    lg2, nx2 = model.step(st, garbage, ln)
    for r, n in enumerate(ln.tolist()):
        alone_l, alone_s = model.step(tuple(s[r:r + 1] for s in st), toks[r:r + 1, :n], lens(n))
        assert torch.allclose(alone_l[0], lg[r, :n], atol=1e-5)
        assert torch.allclose(alone_l[0], lg2[r, :n], atol=1e-5)
        for a, b, c in zip(alone_s, nx, nx2):
            assert torch.allclose(a[0], b[r], atol=1e-5) and torch.allclose(a[0], c[r], atol=1e-5)


@torch.no_grad()
def test_state_a_then_b_equals_two_steps(model):
    C = model.cfg.chunk_length
    toks = rand_tokens(2, 2 * C + 5, seed=2)
    logits, state = read_stream(model, toks, C)
    st = model.init_state(2)
    la, st = model.step(st, toks[:, :C], lens(C, C))
    lb, st = model.step(st, toks[:, C:2 * C], lens(C, C))
    lc, st = model.step(st, toks[:, 2 * C:], lens(5, 5))
    assert torch.allclose(logits, torch.cat([la, lb, lc], 1), atol=1e-6)
    for x, y in zip(state, st):
        assert torch.allclose(x, y, atol=1e-6)
    # rows of a batch are independent streams
    _, one = read_stream(model, toks[1:], C)
    for x, y in zip(state, one):
        assert torch.allclose(x[1:], y, atol=1e-5)


@torch.no_grad()
def test_decode_pair_reproduces_step(model):
    C, N = model.cfg.chunk_length, model.cfg.max_new_tokens
    st = tuple(s + 0.1 * torch.randn(s.shape, generator=torch.Generator().manual_seed(4))
               for s in model.init_state(2))
    full = rand_tokens(2, C + N, seed=5)
    ref, _ = model.step(st, full, lens(C + N, C + N))
    prompt = full[:, :C].clone()
    prompt[1, C - 3:] = tokenizer.PAD
    logits, cache = model.prefill(st, prompt, lens(C, C - 3))
    assert torch.allclose(logits[0], ref[0, C], atol=1e-5)
    static = {n: t for n, t in zip(model.cache_names, cache) if n in model.static_cache}
    for i in range(N):
        logits, cache = model.decode(full[:, C + i], cache)
        # decode passes the static part on untouched (the graph does not even output it)
        assert all(cache[model.cache_names.index(n)] is t for n, t in static.items())
        if C + i + 1 < C + N:
            assert torch.allclose(logits[0], ref[0, C + i + 1], atol=1e-4), i
    # the padded row continues from its own last real token
    _, cache = model.prefill(st, prompt, lens(C, C - 3))
    x = full[1, C - 3:C - 1]
    l1, cache = model.decode(torch.stack([full[0, C], x[0]]), cache)
    # logits[:, C-2] of the row extended by x predict x[1] from the prefix ending at x[0]
    ext, _ = model.step(tuple(s[1:] for s in st), torch.cat([full[1:, :C - 3], x[None, :]], 1), lens(C - 1))
    assert torch.allclose(l1[1], ext[0, C - 2], atol=1e-5)


def test_bad_configs():
    with pytest.raises(ConfigError, match="position table"):
        build("rmt", {**TINY, "chunk_length": 64, "position_table": 32, "max_new_tokens": 0})
    with pytest.raises(ConfigError, match="memory_slots"):
        build("rmt", {**TINY, "memory_slots": 0})
    with pytest.raises(ConfigError, match="unknown architecture"):
        build("no-such-arch", {})
    with pytest.raises(ConfigError, match="unknown config keys"):
        build("rmt", {**TINY, "n_layer": 3})
    with pytest.raises(ConfigError, match="divisible"):
        build("rmt", {**TINY, "d_model": 30})
    with pytest.raises(ConfigError, match="write_context_full needs write_context"):
        build("rmt", {**TINY, "write_context_full": True})
    with pytest.raises(ConfigError, match="write_ahead must be in"):
        build("rmt", {**TINY, "write_ahead": TINY["chunk_length"]})


def test_determinism_with_seed():
    a, b, c = tiny(seed=7), tiny(seed=7), tiny(seed=8)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_tokenizer_round_trip():
    ids = tokenizer.encode("héllo ✓", bos=True)
    assert ids[0] == tokenizer.BOS and all(0 <= i < 256 for i in ids[1:])
    assert tokenizer.decode(ids + [tokenizer.EOS, 65]) == "héllo ✓"
    assert tokenizer.decode([0xff, 65]) == "\ufffdA"
    assert tokenizer.count_bytes(ids) == len("héllo ✓".encode())
