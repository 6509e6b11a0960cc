"""Export round trip with onnxruntime, manifest validation, golden files, the committed tiny model."""
import json
import os

import numpy as np
import pytest
import torch

from conftest import ARCHS, REPO, needs_ort, tiny_by_name
from memstream_model import export, manifest



# rmt-one-lag: `"token_shift": true`, as the configs of older checkpoints say it, exports too
@pytest.fixture(scope="module", params=ARCHS + ["rmt-token-shift", "rmt-one-lag"])
def exported(tmp_path_factory, request):
    if not __import__("conftest").HAVE_ORT:
        pytest.skip("onnxruntime is not installed (Debian fallback environment)")
    out = str(tmp_path_factory.mktemp("model"))
    m = tiny_by_name(request.param)
    man = export.export(m, out, {"seed": 0}, {"note": "test"})
    return m, out, man


@needs_ort
def test_round_trip_with_onnxruntime(exported):
    import onnxruntime as ort
    m, out, man = exported
    assert all(d < export.ATOL for d in man["evaluation"]["export_parity_max_abs_diff"].values())
    # shapes the export never saw: batch 5, length 3, padded rows
    s = ort.InferenceSession(os.path.join(out, "step.onnx"), providers=["CPUExecutionProvider"])
    toks = torch.randint(0, 256, (5, 3))
    ln = torch.tensor([3, 1, 2, 3, 3])
    with torch.no_grad():
        st = m.init_state(5)
        ref_l, ref_s = m.step(st, toks, ln)
    names = [sp.name for sp in m.state_specs()]
    got = s.run(None, {**{n: t.numpy() for n, t in zip(names, st)}, "tokens": toks.numpy(),
                       "lengths": ln.numpy()})
    for r, n in enumerate(ln.tolist()):
        assert np.abs(got[0][r, :n] - ref_l[r, :n].numpy()).max() < 1e-4
    for i, ref in enumerate(ref_s):  # every state tensor, in manifest order
        assert np.abs(got[1 + i] - ref.numpy()).max() < 1e-4
    # token_bits: each real token's -log2 p under the logits (the chunk's bits as the CE gives
    # them), 0 at padding
    bits = got[len(man["graphs"]["step"]["outputs"]) - 1]
    assert man["graphs"]["step"]["outputs"][-1] == "token_bits" and bits.shape == (5, 3)
    ce = torch.nn.functional.cross_entropy(ref_l.reshape(-1, ref_l.shape[-1]), toks.reshape(-1),
                                           reduction="none").view(5, 3) / np.log(2.0)
    for r, n in enumerate(ln.tolist()):
        assert np.abs(bits[r, :n] - ce[r, :n].numpy()).max() < 1e-4
        assert not bits[r, n:].any()


@needs_ort
def test_decode_does_not_copy_static_cache(exported):
    """Static cache tensors (prefill's keys/values) are inputs of decode but not outputs: the
    manifest says so with next = null, and the graph really has no such output."""
    import onnx
    m, out, man = exported
    static = [c["name"] for c in man["cache"] if c["next"] is None]
    assert static == list(m.static_cache)
    outputs = [o.name for o in onnx.load(os.path.join(out, "decode.onnx")).graph.output]
    assert outputs == ["logits"] + [c["next"] for c in man["cache"] if c["next"] is not None]
    assert not any(o.endswith(s) for o in outputs for s in static)


@needs_ort
def test_decode_reads_prefilled_keys_values_in_place(exported):
    """Each layer's prefilled keys and values are a decode input of their own, read by the attention
    matmuls (keys through the transpose ONNX Runtime folds into the matmul), never sliced, gathered
    or concatenated: those copy the whole tensor at every generated token."""
    import re

    import onnx
    m, out, _ = exported
    graph = onnx.load(os.path.join(out, "decode.onnx")).graph
    kv = [i.name for i in graph.input if re.fullmatch(r"cache_[kv]\d+", i.name)]
    assert len(kv) == 2 * m.cfg.n_layers
    for name in kv:
        readers = {n.op_type for n in graph.node if name in n.input}
        assert readers and readers <= {"MatMul", "Transpose", "Shape"}, (name, readers)


@needs_ort
def test_manifest_validates(exported):
    m, out, man = exported
    assert manifest.validate(out) == []
    spec = m.state_specs()[0]
    assert man["architecture"] == m.arch_name and man["state"][0]["shape"] == list(spec.shape)
    init = np.fromfile(os.path.join(out, man["state"][0]["initial"]), dtype="<f4").reshape(spec.shape)
    with torch.no_grad():
        assert np.allclose(init, m.init_state(1)[0][0].numpy())
    with open(os.path.join(out, "golden", "cases.json")) as f:
        cases = json.load(f)["cases"]
    names = {c["name"] for c in cases}
    assert {"step_b1_l1", "step_b3_l16", "step_b8_l16", "step_b3_padded", "sequence_b2_c4", "generate_b2_n8"} <= names
    for c in cases:
        if c["kind"] == "call":
            for t in list(c["inputs"].values()) + list(c["outputs"].values()):
                p = os.path.join(out, "golden", t["file"])
                assert os.path.getsize(p) == 4 * int(np.prod(t["shape"])) * (2 if t["dtype"] == "int64" else 1)


@needs_ort
def test_manifest_detects_tampering(exported, tmp_path):
    import shutil
    _, out, _ = exported
    copy = str(tmp_path / "m")
    shutil.copytree(out, copy)
    with open(os.path.join(copy, json.load(open(os.path.join(copy, "manifest.json")))["state"][0]["initial"]), "r+b") as f:
        f.write(b"\0\0\0\0")
    assert any("fingerprint" in e for e in manifest.validate(copy))
    with open(os.path.join(copy, "manifest.json")) as f:
        m = json.load(f)
    del m["graphs"]["decode"]
    m["opset"] = 18
    with open(os.path.join(copy, "manifest.json"), "w") as f:
        json.dump(m, f)
    errs = manifest.validate(copy)
    assert any("decode" in e for e in errs) and any("opset" in e for e in errs)


# size budgets: the default model under 10 MiB (issue 2), the other trained ones a little more
# (their three graphs each carry the weights), test models small enough to load in every test
SIZE_BUDGET_MIB = {"default": 10, "fam": 12, "infinity": 12}


@pytest.mark.parametrize("name", ["tiny", "default", "tiny-fam", "tiny-infinity", "fam", "infinity"])
def test_committed_models_validate(name):
    d = os.path.join(REPO, "models", name)
    if not os.path.exists(os.path.join(d, "manifest.json")):
        pytest.skip(f"models/{name} is not exported in this checkout")
    assert manifest.validate(d) == []
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)
    assert total < SIZE_BUDGET_MIB.get(name, 3) * 1024 * 1024
