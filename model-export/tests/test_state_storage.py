"""state_storage: float16 recommended only where rounding the stored state leaves bits per byte alone."""
import json
import os

import numpy as np
import pytest

import torch

from conftest import REPO, needs_ort, tiny
from memstream_model import export, manifest, state_storage, tokenizer

THIRD = np.float32(1.0 / 3.0)  # not a float16: rounding moves it by about 1e-4


def carried_step(sensitivity):
    """A fake step: the state is carried unchanged, and each token costs 1 bit plus `sensitivity`
    times the state's distance from 1/3, so rounding the stored state costs bits in proportion."""
    def step(state, tokens, lengths):
        m = state["m"]
        bits = 1.0 + sensitivity * np.abs(m[:, 0:1] - THIRD).astype(np.float64)
        return {"m": m.copy()}, np.repeat(bits, tokens.shape[1], axis=1)
    return step


DOCS = np.zeros((2, 64), dtype=np.int64)  # byte 0, 64 tokens: four chunks of 16


def test_a_state_that_rounding_leaves_alone_is_stored_as_float16():
    result = state_storage.check(carried_step(0.0), {"m": np.array([THIRD, 0.5], np.float32)}, DOCS, 16)
    assert result["dtype"] == "float16"
    assert result["float16_check"]["max_abs_difference_per_chunk"] == 0.0
    assert result["float16_check"]["chunks_per_document"] == 4


def test_a_state_whose_rounding_costs_bits_stays_float32():
    result = state_storage.check(carried_step(1e4), {"m": np.array([THIRD, 0.5], np.float32)}, DOCS, 16)
    assert result["dtype"] == "float32"
    check = result["float16_check"]
    # every chunk after the first reads a rounded state: about 1e4 x 8e-5 bits a byte more
    assert check["max_abs_difference_per_chunk"] > state_storage.BOUND_BPB
    assert check["bits_per_byte_float16"] > check["bits_per_byte_float32"] == pytest.approx(1.0)


def test_the_bound_decides():
    initial = {"m": np.array([THIRD, 0.5], np.float32)}
    measured = state_storage.check(carried_step(10.0), initial, DOCS, 16)["float16_check"]["max_abs_difference_per_chunk"]
    assert 0 < measured
    assert state_storage.check(carried_step(10.0), initial, DOCS, 16, bound=measured * 2)["dtype"] == "float16"
    assert state_storage.check(carried_step(10.0), initial, DOCS, 16, bound=measured / 2)["dtype"] == "float32"


def test_stored_rounds_each_stream_unless_a_value_is_beyond_float16():
    t = np.array([[THIRD, 1.0], [THIRD, 70000.0]], np.float32)
    back = state_storage.stored(t)
    assert back[0, 0] == np.float32(np.float16(THIRD)) != THIRD
    assert back[1, 0] == THIRD and back[1, 1] == 70000.0  # that stream's tensor is stored as float32
    assert t[0, 0] == THIRD  # the input is not changed
    # as memstream's codec: an infinity or NaN already in the memory is no reason for float32
    odd = state_storage.stored(np.array([[THIRD, np.inf, np.nan]], np.float32))
    assert odd[0, 0] == np.float32(np.float16(THIRD)) and np.isinf(odd[0, 1]) and np.isnan(odd[0, 2])


def test_bits_from_logits_match_a_softmax():
    """A step graph without a token_bits output has its bits taken as export.token_bits takes them."""
    logits = np.log(np.array([[[0.5, 0.25, 0.25], [0.125, 0.125, 0.75]]], np.float32))
    bits = export.token_bits(torch.from_numpy(logits), torch.tensor([[0, 1]]), torch.tensor([2])).numpy()
    assert np.allclose(bits, [[1.0, 3.0]])


def documents_from_text(texts, length):
    """Documents of exactly `length` tokens from texts (repeated to fill), BOS first."""
    rows = []
    for t in texts:
        ids = np.array(tokenizer.encode(t), dtype=np.int64)
        reps = -(-(length - 1) // len(ids))
        rows.append(np.concatenate([[tokenizer.BOS], np.tile(ids, reps)[:length - 1]]))
    return np.stack(rows)


@needs_ort
def test_annotate_writes_a_manifest_that_validates(tmp_path):
    out = str(tmp_path / "model")
    m = tiny("rmt")
    man = export.export(m, out, {"seed": 0}, {"note": "test"}, with_golden=False)
    docs = documents_from_text(["the quick brown fox jumps over the lazy dog. "] * 2,
                                             8 * m.cfg.chunk_length)
    result = state_storage.annotate(out, docs)
    with open(os.path.join(out, "manifest.json")) as f:
        written = json.load(f)
    assert written["state_storage"] == result
    assert written["fingerprint"] == man["fingerprint"]
    assert result["float16_check"]["chunks_per_document"] == 8
    # an untrained tiny model: float16 moves its bits per byte by far less than the bound
    assert result["dtype"] == "float16", result
    assert manifest.validate(out) == []


@needs_ort
def test_validate_rejects_an_unknown_storage_dtype(tmp_path):
    out = str(tmp_path / "model")
    export.export(tiny("rmt"), out, {"seed": 0}, {"note": "test"}, with_golden=False)
    path = os.path.join(out, "manifest.json")
    with open(path) as f:
        m = json.load(f)
    m["state_storage"] = {"dtype": "int8"}
    with open(path, "w") as f:
        json.dump(m, f)
    assert any("state_storage" in e for e in manifest.validate(out))


@needs_ort
@pytest.mark.parametrize("name", ["default", "fam", "infinity"])
def test_a_committed_manifest_says_what_the_check_measures(name):
    """The committed `state_storage` is what the command computes now: a model exported again
    without running `state-storage` afterwards would keep a stale word here."""
    model_dir = os.path.join(REPO, "models", name)
    with open(os.path.join(model_dir, "manifest.json")) as f:
        m = json.load(f)
    committed = m["state_storage"]
    check = committed["float16_check"]
    try:
        docs = state_storage.documents(m, check["documents"], check["chunks_per_document"],
                                       check["documents_from"])
    except (FileNotFoundError, RuntimeError) as e:
        pytest.skip(f"the training corpus is not on this machine: {e}")
    result = state_storage.check(state_storage.ort_step(model_dir, m), state_storage.initial_state(model_dir, m),
                                 docs, m["chunk_length"], check["bound"])
    assert result["dtype"] == committed["dtype"]
    # another CPU may round ONNX Runtime's float32 differently in the last bits
    assert result["float16_check"]["max_abs_difference_per_chunk"] == pytest.approx(
        check["max_abs_difference_per_chunk"], rel=0.2)
    assert result["float16_check"]["bits_per_byte_float32"] == pytest.approx(check["bits_per_byte_float32"], rel=1e-5)


def test_the_documents_come_from_the_training_corpus_unless_given():
    trained = {"model_id": "m", "training": {"data": "corpus:a", "holdout_frac": 0.1}}
    assert state_storage.draw(trained, seed=7) == {"data": "corpus:a", "holdout_frac": 0.1, "seed": 7}
    assert state_storage.draw(trained, seed=7, corpus_spec="corpus:b")["data"] == "corpus:b"
    with pytest.raises(ValueError, match="names no training corpus"):
        state_storage.draw({"model_id": "m"})
