"""Losses, determinism of training, and a tiny end-to-end train + eval + export via the CLI."""
import json
import math
import os

import pytest
import torch

from conftest import HAVE_ORT, TINY
from memstream_model import data, train
from memstream_model.__main__ import main

TEXT = ("The quick brown fox jumps over the lazy dog. " * 3 +
        "In the beginning was the word, and the word was with memory. " * 3)


@pytest.fixture
def corpus_dir(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "a.txt").write_text(TEXT[:200])
    (d / "b.txt").write_text(TEXT[200:])
    return str(d)


def cfg(corpus_dir, **over):
    base = dict(model_config=json.dumps(TINY), data=corpus_dir, batch_size=4, n_chunks=4, bptt=2,
                max_steps=3, warmup=1, kv_facts=1, kv_max_distance=2, log_every=1, ckpt_every=2,
                holdout_frac=0.2)
    base.update(over)
    return train.TrainConfig(**base)


def test_loader_takes_any_directory(corpus_dir):
    docs = data.load_corpus(corpus_dir)
    assert [os.path.basename(n) for n, _ in docs] == ["a.txt", "b.txt"]
    sp = data.split(docs, 0.2)
    assert sum(map(len, sp.train)) + sum(map(len, sp.heldout)) == len(TEXT.encode())
    with pytest.raises(FileNotFoundError):
        data.load_corpus(corpus_dir + "/nope")


def test_kv_stream_layout():
    import numpy as np
    pool = [np.frombuffer(TEXT.encode(), dtype=np.uint8).astype(np.int64)]
    toks, mask = data.kv_stream(np.random.default_rng(0), pool, data.KVConfig(2), 32, 4 * 32, 3)
    text = bytes(int(t) for t in toks[1:] if t < 256)
    facts = text[:16].decode()
    assert facts.count("@") == 2 and facts.count(";") == 2
    answers = bytes(int(t) for t in toks[mask]).decode()
    assert len(answers) == 6 and answers.isdigit()
    assert mask[:3 * 32].sum() == 0 and mask[3 * 32:].sum() == 6
    for v in (answers[:3], answers[3:]):
        assert v in facts


def test_kv_stream_in_context_asks_after_the_facts_in_their_chunk():
    import numpy as np
    pool = [np.frombuffer(TEXT.encode(), dtype=np.uint8).astype(np.int64)]
    for seed in range(20):
        toks, mask = data.kv_stream(np.random.default_rng(seed), pool, data.KVConfig(2), 64, 2 * 64, 0)
        first = int(np.flatnonzero(mask)[0])
        assert mask[64:].sum() == 0 and mask[:64].sum() == 6
        assert first - 4 >= 17, "a query overwrote the facts"   # BOS + two 8-byte facts
        assert bytes(int(t) for t in toks[first - 4:first]).startswith(b"?")
    with pytest.raises(ValueError):
        data.kv_stream(np.random.default_rng(0), pool, data.KVConfig(2), 32, 2 * 32, 0)  # no room


def test_kv_stream_offset_moves_the_facts_and_keeps_them_whole():
    """With max_offset the facts start after some filler, anywhere that leaves room for them (and
    for their questions when asked in the same chunk); without it the streams are as before."""
    import numpy as np
    pool = [np.frombuffer(TEXT.encode(), dtype=np.uint8).astype(np.int64)]
    plain = data.kv_stream(np.random.default_rng(3), pool, data.KVConfig(2), 64, 2 * 64, 1)
    again = data.kv_stream(np.random.default_rng(3), pool, data.KVConfig(2, max_offset=0), 64, 2 * 64, 1)
    assert np.array_equal(plain[0], again[0]) and np.array_equal(plain[1], again[1])
    starts = set()
    for seed in range(40):
        for distance in (0, 1):
            toks, mask = data.kv_stream(np.random.default_rng(seed), pool, data.KVConfig(2, max_offset=40),
                                        64, 2 * 64, distance)
            chunk0 = bytes(int(t) for t in toks[:64] if t < 256)
            start = chunk0.index(b"@")
            facts = chunk0[start:start + 16].decode()
            assert facts.count("@") == 2 and facts.count(";") == 2, facts
            answers = bytes(int(t) for t in toks[mask]).decode()
            assert len(answers) == 6 and answers[:3] in facts and answers[3:] in facts
            assert int(np.flatnonzero(mask)[0]) - 4 >= start + 17 or distance == 1
            starts.add(start)
    assert len(starts) > 10 and max(starts) > 20


def test_in_context_share_of_a_batch():
    import numpy as np
    pool = [np.frombuffer(TEXT.encode() * 4, dtype=np.uint8).astype(np.int64)]
    _, none = data.batch(0, 0, pool, 40, 64, 3, 0, 1.0, data.KVConfig(2), 2)
    _, some = data.batch(0, 0, pool, 40, 64, 3, 0, 1.0, data.KVConfig(2), 2, in_context=0.5)
    in_chunk0 = lambda m: int((m[:, :64].sum(1) > 0).sum())
    assert in_chunk0(none) == 0
    assert 8 <= in_chunk0(some) <= 32


def test_losses_finite_and_switches(corpus_dir):
    c = cfg(corpus_dir)
    torch.manual_seed(0)
    from memstream_model.arch import build
    m = build("rmt", TINY)
    tk, mk = data.batch(0, 0, data.split(data.load_corpus(corpus_dir), 0.2).train, 4, 16, 4, 16, 0.5,
                        data.KVConfig(1), 2)
    parts = train.sequence_losses(m, c, torch.from_numpy(tk), torch.from_numpy(mk), 16)
    for k in ("lm", "kv", "recall", "mem", "vic"):
        assert math.isfinite(float(parts[k])), k
    assert float(parts["lm"]) > 4.0  # untrained: close to ln(260)
    off = cfg(corpus_dir, no_recall=True, no_mem=True, no_vic=True, no_kv=True)
    assert float(train.total_loss(off, parts)) == pytest.approx(float(parts["lm"]))


def test_training_is_deterministic(corpus_dir, tmp_path):
    logs = []
    for run in ("r1", "r2"):
        lines = []
        train.run(cfg(corpus_dir), str(tmp_path / run), log=lines.append)
        logs.append([l.split(" tok/s")[0] for l in lines if l.startswith("step")])
    assert logs[0] == logs[1] and len(logs[0]) == 3


def test_resume_continues(corpus_dir, tmp_path):
    out = str(tmp_path / "r")
    train.run(cfg(corpus_dir, max_steps=2), out, log=lambda s: None)
    lines = []
    train.run(cfg(corpus_dir, max_steps=3), out, resume=True, log=lines.append)
    assert any("resumed" in l and "step 2" in l for l in lines)
    assert any(l.startswith("step 3/3") for l in lines)


def test_init_from_starts_a_new_stage(corpus_dir, tmp_path):
    first = train.run(cfg(corpus_dir, max_steps=2), str(tmp_path / "s1"), log=lambda s: None)
    lines = []
    second = train.run(cfg(corpus_dir, max_steps=1, init_from=first, lr=0.0, warmup=1000),
                       str(tmp_path / "s2"), log=lines.append)
    assert any("initialised from" in l for l in lines)
    a = torch.load(first, weights_only=False)["model"]
    b = torch.load(second, weights_only=False)
    assert b["step"] == 1  # a fresh schedule, not step 3 of the first stage
    # learning rate 0 during warmup: the weights are exactly the first stage's
    assert all(torch.equal(a[k], b["model"][k]) for k in a)
    from memstream_model.arch import ConfigError
    with pytest.raises(ConfigError, match="model config differs"):
        train.run(cfg(corpus_dir, init_from=first, model_config=json.dumps(dict(TINY, n_heads=2))),
                  str(tmp_path / "s3"), log=lambda s: None)
    with pytest.raises(ConfigError, match="parameters the grown model lacks"):  # layers may grow, not shrink
        train.run(cfg(corpus_dir, init_from=first, model_config=json.dumps(dict(TINY, n_layers=1))),
                  str(tmp_path / "s4"), log=lambda s: None)


@pytest.mark.parametrize("extension", [{"token_shift": True}, {"write_context": 2}, {"write_inputs": True},
                                       {"token_shift": 3, "write_context": 6, "write_inputs": True},
                                       {"write_context": 2, "write_context_full": True}, {"write_ahead": 3},
                                       {"write_mlp": True},
                                       {"n_layers": TINY["n_layers"] + 1}, {"mem_layers": 2}])
def test_init_from_may_turn_on_identity_extensions(corpus_dir, tmp_path, extension):
    """A stage may switch on rmt's token shift, write context or write inputs, or add predictor
    layers, from weights trained without them: the grown model starts as the same function
    (logits and the memory it writes), and other config changes are still refused."""
    from memstream_model import checkpoint
    from memstream_model.arch import ConfigError
    ck = train.run(cfg(corpus_dir, max_steps=2), str(tmp_path / "a"), log=lambda *_: None)
    base, _ = checkpoint.load(ck)
    grown = train.init_weights(cfg(corpus_dir, init_from=ck, model_config=json.dumps({**TINY, **extension})),
                               ck, lambda *_: None)
    assert sum(p.numel() for p in grown.parameters()) > sum(p.numel() for p in base.parameters())
    tokens = torch.randint(0, 256, (2, TINY["chunk_length"]))
    lengths = torch.tensor([TINY["chunk_length"], 5])
    with torch.no_grad():
        a, sa = base.step(base.init_state(2), tokens, lengths)
        b, sb = grown.step(grown.init_state(2), tokens, lengths)
    assert torch.equal(a, b)
    assert all(torch.equal(x, y) for x, y in zip(sa, sb))
    with pytest.raises(ConfigError, match="model config differs"):
        train.init_weights(cfg(corpus_dir, init_from=ck, model_config=json.dumps({**TINY, "d_model": 64})),
                           ck, lambda *_: None)
    if "n_layers" in extension:  # the new block trains: its output projections get gradients
        tokens_next = torch.randint(0, 256, (2, TINY["chunk_length"]))
        logits, _ = grown.step(grown.init_state(2), tokens_next, lengths)
        torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens_next.reshape(-1)).backward()
        new = grown.blocks[-1]
        assert new.attn.proj.weight.grad.abs().sum() > 0 and new.mlp.out.weight.grad.abs().sum() > 0
    new_weights = {"write_context_full": lambda m: m.write_lags.weight, "write_ahead": lambda m: m.write_leads.weight,
                   "write_mlp": lambda m: m.write_mlp.out.weight}
    for weight in [new_weights[k] for k in extension if k in new_weights]:  # it trains, through the next chunk's loss
        _, state = grown.step(grown.init_state(2), tokens, lengths)
        logits, _ = grown.step(state, tokens, lengths)
        torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens.reshape(-1)).backward()
        assert weight(grown).grad.abs().sum() > 0
    if "mem_layers" in extension:  # the new memory block trains, through the next chunk's loss
        _, state = grown.step(grown.init_state(2), tokens, lengths)
        logits, _ = grown.step(state, tokens, lengths)
        torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens.reshape(-1)).backward()
        new = grown.mem_blocks[-1]
        assert new.cross.proj.weight.grad.abs().sum() > 0 and new.mlp.out.weight.grad.abs().sum() > 0


def test_random_state_passing_mixes_rows_deterministically(corpus_dir):
    from memstream_model.arch import build
    m = build("fam", TINY)
    init = m.init_state(16)
    carry = tuple(torch.randn(t.shape) for t in init)
    assert train.passed_state(m, cfg(corpus_dir), 5, carry) is None          # off by default
    assert train.passed_state(m, cfg(corpus_dir, state_passing=0.5), 5, None) is None  # first step
    assert torch.equal(train.passed_state(m, cfg(corpus_dir, state_passing=1.0), 5, carry)[0], carry[0])
    a = train.passed_state(m, cfg(corpus_dir, state_passing=0.5), 5, carry)[0]
    b = train.passed_state(m, cfg(corpus_dir, state_passing=0.5), 5, carry)[0]
    assert torch.equal(a, b)
    from_carry = [torch.equal(a[r], carry[0][r]) for r in range(16)]
    from_init = [torch.equal(a[r], init[0][r]) for r in range(16)]
    assert all(x != y for x, y in zip(from_carry, from_init)) and 0 < sum(from_carry) < 16


def test_training_with_state_passing_resumes_identically(corpus_dir, tmp_path):
    # constant learning rate and adaptive curriculum: nothing depends on max_steps, so 2 + 2
    # resumed steps must replay 4 straight ones (the passed state travels in the checkpoint)
    def c(steps):
        return cfg(corpus_dir, arch="fam", state_passing=0.5, max_steps=steps, min_lr_frac=1.0,
                   curriculum_adaptive=True)
    straight = []
    train.run(c(4), str(tmp_path / "a"), log=straight.append)
    out = str(tmp_path / "b")
    train.run(c(2), out, log=lambda s: None)
    resumed = []
    train.run(c(4), out, resume=True, log=resumed.append)
    key = lambda lines: [l.split(" tok/s")[0] for l in lines if l.startswith(("step 3/", "step 4/"))]
    assert key(straight) == key(resumed) and len(key(straight)) == 2


def test_bad_training_config(corpus_dir, tmp_path):
    from memstream_model.arch import ConfigError
    with pytest.raises(ConfigError, match="kv_max_distance"):
        train.run(cfg(corpus_dir, kv_max_distance=4, n_chunks=4), str(tmp_path / "x"), log=lambda s: None)


def test_end_to_end_cli(corpus_dir, tmp_path):
    run = str(tmp_path / "run")
    assert main(["train", "--out", run, "--data", corpus_dir, "--model-config", json.dumps(TINY),
                 "--batch-size", "2", "--n-chunks", "3", "--max-steps", "2", "--kv-facts", "1",
                 "--kv-max-distance", "2", "--holdout-frac", "0.2"]) == 0
    ev_path = str(tmp_path / "eval.json")
    assert main(["eval", "--checkpoint", os.path.join(run, "ckpt.pt"), "--out", ev_path, "--docs", "2",
                 "--doc-chunks", "3", "--recall-trials", "2", "--distances", "1,2"]) == 0
    ev = json.load(open(ev_path))
    assert ev["state"]["constant"] and ev["state"]["bytes_per_stream"] == 4 * 4 * 32
    assert set(ev["recall"]) == {"1", "2"}
    assert ev["bits_per_byte"]["memory_carried"] > 0
    anywhere = str(tmp_path / "eval-anywhere.json")
    assert main(["eval", "--checkpoint", os.path.join(run, "ckpt.pt"), "--out", anywhere, "--docs", "2",
                 "--doc-chunks", "3", "--recall-trials", "2", "--distances", "1,2", "--fact-offset", "5"]) == 0
    assert json.load(open(anywhere))["recall_task"]["fact_offset_max"] == 5
    assert ev["recall_task"]["fact_offset_max"] == 0
    if not HAVE_ORT:
        pytest.skip("onnxruntime is not installed: export step of the end-to-end test skipped")
    out = str(tmp_path / "model")
    assert main(["export", "--checkpoint", os.path.join(run, "ckpt.pt"), "--eval-json", ev_path,
                 "--out", out]) == 0
    assert main(["validate", out]) == 0
    man = json.load(open(os.path.join(out, "manifest.json")))
    assert man["evaluation"]["recall"] == ev["recall"]
    assert man["training"]["max_steps"] == 2


def test_cli_reports_config_errors(capsys):
    assert main(["export", "--arch", "nope", "--out", "/tmp/never"]) == 2
    assert "unknown architecture" in capsys.readouterr().err


@pytest.mark.parametrize("arch", ["fam", "infinity"])
def test_other_architectures_train(corpus_dir, tmp_path, arch):
    lines = []
    train.run(cfg(corpus_dir, arch=arch, max_steps=2), str(tmp_path / arch), log=lines.append)
    steps = [l for l in lines if l.startswith("step")]
    assert len(steps) == 2 and all("nan" not in l.split("kv_acc")[0] for l in steps)


def test_training_clock_counts_steps_but_not_a_pause():
    """The time box counts each step's wall time, a contended CPU's slower steps too, but not a
    stop of the process (kill -STOP for a benchmark): that step counts as the recent average."""
    t = [0.0]
    clock = train.TrainingClock(elapsed=100.0, now=lambda: t[0])
    for _ in range(20):
        t[0] += 1.0
        clock.tick()
    assert clock.elapsed == pytest.approx(120.0)
    for _ in range(10):  # three times slower: counted in full
        t[0] += 3.0
        clock.tick()
    assert clock.elapsed == pytest.approx(150.0)
    avg = clock._avg
    t[0] += 900.0  # stopped for 15 minutes
    clock.tick()
    assert clock.elapsed == pytest.approx(150.0 + avg)
    assert clock.paused == pytest.approx(900.0 - avg)
    t[0] += 1.0
    assert clock.tick() == pytest.approx(151.0 + avg)


def test_time_box_stops_a_run_whose_steps_take_time(corpus_dir, tmp_path, monkeypatch):
    """The clock as the training loop uses it: with every reading of the clock 10 s after the one
    before, a one-minute box stops the run after a few steps, long before max_steps."""
    t = [0.0]

    def fake_monotonic():
        t[0] += 10.0
        return t[0]
    monkeypatch.setattr(train.time, "monotonic", fake_monotonic)
    lines = []
    train.run(cfg(corpus_dir, max_steps=40, max_minutes=1.0), str(tmp_path / "r"), log=lines.append)
    stop = [l for l in lines if l.startswith("time limit")]
    assert stop, lines[-3:]
    assert int(stop[0].rsplit(" ", 1)[-1]) < 10
