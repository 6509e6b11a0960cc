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
    logits, (coef,) = read_stream(m, toks, m.cfg.chunk_length)
    assert torch.isfinite(logits).all() and torch.isfinite(coef).all()
    assert coef.abs().max() < 1e3
