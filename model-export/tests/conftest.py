import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The repository's root, where the committed models are.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from memstream_model.arch import build  # noqa: E402

TINY = dict(d_model=32, n_layers=2, n_heads=4, memory_slots=4, chunk_length=16, max_new_tokens=16,
            mlp_ratio=2)

try:
    import onnxruntime  # noqa: F401
    HAVE_ORT = True
except ImportError:  # Debian's fallback packages have no onnxruntime
    HAVE_ORT = False

needs_ort = pytest.mark.skipif(not HAVE_ORT, reason="onnxruntime is not installed (Debian fallback "
                                                    "environment): export round trip cannot be checked")

ARCHS = ["rmt", "fam", "infinity"]


def tiny(arch="rmt", seed=0, **over):
    torch.manual_seed(seed)
    return build(arch, {**TINY, **over}).eval()


def tiny_shifted(seed=0, lags=3):
    """rmt with a token shift of `lags` lags (`True` is the one-lag form older configs wrote), a
    write context of 3 (per-channel and full-matrix), a look-ahead of 2, the write's input tokens and
    its residual MLP, their mixes, gate and MLP output drawn away from zero (the identity they start
    as) so the shared tests exercise them."""
    m = tiny("rmt", seed, token_shift=lags, write_context=3, write_inputs=True, write_context_full=True,
             write_ahead=2, write_mlp=True)
    with torch.no_grad():
        for blk in m.blocks:
            blk.shift.normal_(0.0, 0.5)
        m.write_mix.normal_(0.0, 0.5)
        m.write_lags.weight.normal_(0.0, 0.05)
        m.write_leads.weight.normal_(0.0, 0.05)
        m.write_mlp.out.weight.normal_(0.0, 0.05)
        m.write_in_gate.normal_(0.0, 0.5)
    return m


def tiny_by_name(name):
    """A tiny model of an architecture in ARCHS, or one of the shifted rmt variants."""
    if name == "rmt-token-shift":
        return tiny_shifted()
    if name == "rmt-one-lag":
        return tiny_shifted(lags=True)
    return tiny(name)


@pytest.fixture(params=ARCHS + ["rmt-token-shift"])
def model(request):
    return tiny_by_name(request.param)
