"""infinity-former specifics: the matmul-only ridge solve, and a bounded memory over long streams."""
import torch

from conftest import tiny
from memstream_model.arch import read_stream


def test_newton_schulz_matches_linalg_solve():
    m = tiny("infinity")
    g = torch.Generator().manual_seed(0)
    t = torch.rand(3, 40, generator=g)
    basis = torch.exp(-0.5 * ((t.unsqueeze(-1) - m.centers) / m.widths) ** 2)
    gram = basis.transpose(1, 2) @ basis + m.cfg.ridge * torch.eye(m.cfg.memory_slots)
    rhs = torch.randn(3, m.cfg.memory_slots, 8, generator=g)
    got = m._solve(gram, rhs)
    want = torch.linalg.solve(gram, rhs)
    assert (got - want).abs().max() < 1e-4 * max(1.0, want.abs().max())


@torch.no_grad()
def test_memory_stays_bounded_over_long_streams():
    m = tiny("infinity")
    toks = torch.randint(0, 256, (2, 64 * m.cfg.chunk_length), generator=torch.Generator().manual_seed(1))
    logits, (coef, stm) = read_stream(m, toks, m.cfg.chunk_length)
    assert torch.isfinite(logits).all() and torch.isfinite(coef).all() and torch.isfinite(stm).all()
    assert coef.abs().max() < 1e3


@torch.no_grad()
def test_short_term_memory_is_the_last_real_layer_inputs():
    """The stored short-term memory of layer 0 is the embedding of the chunk's last real tokens
    (the layer-0 input), whatever padding follows them."""
    m = tiny("infinity", stm_length=4)
    W, C = m.cfg.stm_length, m.cfg.chunk_length
    toks = torch.randint(0, 256, (2, C), generator=torch.Generator().manual_seed(2))
    n = C - 3
    toks[1, n:] = 256  # row 1 padded after n real tokens
    _, (_, stm) = m.step(m.init_state(2), toks, torch.tensor([C, n]))
    emb = m.wte(toks) + m.wpe(torch.arange(C))
    assert torch.allclose(stm[0, 0], emb[0, C - W:], atol=1e-6)
    assert torch.allclose(stm[1, 0], emb[1, n - W:n], atol=1e-6)
    # a chunk shorter than the window keeps the older entries, then the start vector
    _, (_, stm2) = m.step((m.init_state(1)[0], stm[:1]), toks[:1, :2], torch.tensor([2]))
    assert torch.allclose(stm2[0, 0], torch.cat([stm[0, 0, 3:], m.start.view(1, -1), emb[0, :2]]), atol=1e-6)


@torch.no_grad()
def test_short_term_memory_is_read():
    """Changing only the short-term memory changes the next chunk's first logits."""
    m = tiny("infinity")
    ltm, stm = m.init_state(1)
    toks = torch.randint(0, 256, (1, 4), generator=torch.Generator().manual_seed(3))
    a, _ = m.step((ltm, stm), toks, torch.tensor([4]))
    b, _ = m.step((ltm, stm + torch.randn(stm.shape, generator=torch.Generator().manual_seed(4))), toks,
                  torch.tensor([4]))
    assert (a - b).abs().max() > 1e-4
