"""`recover`: a checkpoint rebuilt from an exported model directory holds the weights it exported."""
import json
from dataclasses import asdict
import os

import pytest
import torch

from conftest import needs_ort, tiny_by_name
from memstream_model import __main__ as cli, checkpoint, export


@needs_ort
@pytest.mark.parametrize("name", ["rmt", "rmt-token-shift"])
def test_recovered_checkpoint_has_the_exported_weights(tmp_path, name):
    model = tiny_by_name(name)
    out = str(tmp_path / "model")
    export.export(model, out, {"model_config": json.dumps(asdict(model.cfg)), "steps_done": 7}, {})
    ck = str(tmp_path / "ckpt.pt")
    assert cli.main(["recover", "--model", out, "--out", ck]) == 0
    got, saved = checkpoint.load(ck)
    assert saved["step"] == 7
    want = model.state_dict()
    for key, value in got.state_dict().items():
        if key.startswith(("recall_pos", "recall_block.")):
            continue  # training-only: in no graph, so it starts fresh
        assert torch.equal(value, want[key]), key


@needs_ort
def test_a_graph_from_other_code_is_refused(tmp_path):
    """The map is only valid for the code that exported the graphs: a graph whose nodes differ is
    an error, not a silently wrong weight."""
    import onnx
    model = tiny_by_name("rmt")
    out = str(tmp_path / "model")
    export.export(model, out, {"model_config": json.dumps(asdict(model.cfg))}, {})
    path = os.path.join(out, "step.onnx")
    g = onnx.load(path)
    first = next(n for n, node in enumerate(g.graph.node) if node.op_type == "MatMul")
    g.graph.node.insert(first, onnx.helper.make_node("Identity", ["tokens"], ["tokens_again"]))
    onnx.save(g, path)
    with pytest.raises(RuntimeError, match="exported by other code"):
        cli.main(["recover", "--model", out, "--out", str(tmp_path / "ckpt.pt")])


@needs_ort
@pytest.mark.parametrize("name", ["fam", "infinity"])
def test_weights_folded_into_constants_are_refused(tmp_path, name):
    """fam and infinity graphs hold some weights only inside constants the exporter folded (a sum
    of two parameters, a bias folded away): recovering them is refused, not guessed."""
    model = tiny_by_name(name)
    out = str(tmp_path / "model")
    export.export(model, out, {"model_config": json.dumps(asdict(model.cfg))}, {})
    with pytest.raises(RuntimeError, match="is no parameter|not found in the graphs"):
        cli.main(["recover", "--model", out, "--out", str(tmp_path / "ckpt.pt")])
