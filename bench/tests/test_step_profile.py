"""bench/step_profile.py: profiler nodes grouped by the module that made them, and the step's feeds."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import step_profile  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def test_nodes_group_by_block_and_sub_module():
    assert step_profile.module("/blocks.0/attn/MatMul") == "blocks.0/attn"
    assert step_profile.module("/mem_blocks.0/cross/Softmax") == "mem_blocks.0/cross"
    assert step_profile.module("/blocks.1/Add_2") == "blocks.1"
    assert step_profile.module("/head/MatMul") == "head"
    assert step_profile.module("BiasGelu_token_2") == "BiasGelu_token_2"


def test_feeds_are_the_step_graphs_inputs_at_the_batch():
    pytest.importorskip("numpy")
    model = os.path.join(ROOT, "models", "tiny")
    with open(os.path.join(model, "manifest.json")) as f:
        man = json.load(f)
    x = step_profile.feeds(model, man, 3)
    assert set(x) == set(man["graphs"]["step"]["inputs"])
    assert x["tokens"].shape == (3, man["chunk_length"])
    for s in man["state"]:
        assert x[s["name"]].shape == (3, *s["shape"])
