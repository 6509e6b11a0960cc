"""Issue 2's binding probe (model-export/README.md, "What was tried"): where the rmt memory write
looks in a chunk that states two facts, and where the predictor looks in memory when a fact is
asked one chunk later.

    cd model-export && PYTHONPATH=. .venv/bin/python experiments/binding_probe.py runs/memory/ckpt.pt

Prints, for the write's cross-attention (chunk 0, averaged over streams), each head's attention
mass per memory slot on fact 1 (chunk positions 1-8), fact 2 (9-16), the old memory and the rest
of the chunk; then, at each query's '=' (whose output predicts the first value digit), each
predictor layer's and head's attention on memory slots 0-5, split by which fact is asked and
whether it is asked first or second; then each value digit's accuracy (teacher-forced, argmax) for
the fact asked first and second; then how well a linear probe (trained on 1200 streams, tested on
400 others) reads each fact's digits from each of memory slots 0-4 after the fact chunk."""
import sys

import numpy as np
import torch

from memstream_model import checkpoint, data
from memstream_model.arch.rmt import previous_positions


def write_attention(model, tokens):
    B, M = tokens.shape[0], model.cfg.memory_slots
    memory = model.init_state(B)[0]
    h, _, key_ok, _ = model._predict(memory, tokens, torch.full((B,), tokens.shape[1]))
    src = model.write_keys(h, key_ok, tokens)
    blk = model.mem_blocks[0]
    q = blk.cross.split(blk.cross.q(blk.ln_q(memory)))
    k, _ = blk.cross.project_kv(blk.ln_c(src))
    scores = torch.matmul(q, k.transpose(-2, -1)) * blk.cross.scale + model.write_bias[:, :src.shape[1]]
    p = torch.softmax(scores, -1).mean(0)  # [H, slots, M + L]
    parts = (p[..., M + 1:M + 9].sum(-1), p[..., M + 9:M + 17].sum(-1), p[..., :M].sum(-1), p[..., M + 17:].sum(-1))
    print("write: per head, per slot: attention on fact 1 / fact 2 / old memory / rest of chunk")
    for hh in range(p.shape[0]):
        print(f"  head {hh}: " + " ".join("/".join(f"{x[hh, s]:.2f}" for x in parts) for s in range(p.shape[1])))


def read_attention(model, memory, tokens, facts_chunk, answer_mask):
    B, L = tokens.shape
    M = model.cfg.memory_slots
    x = torch.cat([memory + model.mpe, model.wte(tokens) + model.wpe(torch.arange(L))], dim=1)
    i, j = torch.arange(M + L).unsqueeze(1), torch.arange(M + L).unsqueeze(0)
    allowed = ((j < M) | ((i >= M) & (j <= i))).unsqueeze(0).unsqueeze(0)
    found = {}
    for layer, blk in enumerate(model.blocks):
        a = blk.ln1(x)
        if blk.shift is not None:
            a = blk.mix(a, [previous_positions(a, M, lag + 1) for lag in range(blk.shift.shape[0])])
        q = blk.attn.split(blk.attn.q(a))
        k, _ = blk.attn.project_kv(a)
        s = torch.matmul(q, k.transpose(-2, -1)) * blk.attn.scale
        p = torch.softmax(torch.where(allowed, s, torch.full_like(s, -1e9)), -1)
        for b in range(B):
            starts = [t for t in range(L) if answer_mask[b, t] and (t == 0 or not answer_mask[b, t - 1])]
            first_key = facts_chunk[b, 2:4].tolist()  # BOS, '@', then the first fact's key
            for n, t in enumerate(starts):
                eq = t - 1  # the '=' before the first value digit
                which = 1 if tokens[b, eq - 2:eq].tolist() == first_key else 2
                found.setdefault((layer, which, n), []).append(p[b, :, M + eq, :M])
        x, _, _ = blk(x, allowed, M)
    print("read: at a query's '=', attention per head on memory slots 0-5 (and the rest of memory)")
    for (layer, which, n), rows in sorted(found.items()):
        r = torch.stack(rows).mean(0)
        heads = " | ".join(f"h{hh} " + " ".join(f"{r[hh, s]:.2f}" for s in range(6)) + f" rest {r[hh, 6:].sum():.2f}"
                           for hh in range(r.shape[0]))
        print(f"  layer {layer}, fact {which} asked {'first' if n == 0 else 'second'} (n={len(rows)}): {heads}")


@torch.no_grad()
def main(path, streams=128, seed=5):
    torch.set_num_threads(1)
    model, ck = checkpoint.load(path)
    model.eval()
    C = model.cfg.chunk_length
    corpus = data.split(data.load_corpus(ck.get("train_config", {}).get("data", "kjv,jargon")))
    rng = np.random.default_rng(seed)
    rows = [data.kv_stream(rng, corpus.heldout, data.KVConfig(n_facts=2), C, 2 * C, 1) for _ in range(streams)]
    toks = torch.tensor(np.stack([r[0] for r in rows]))
    mask = torch.tensor(np.stack([r[1] for r in rows]))
    write_attention(model, toks[:, :C])
    _, state = model.step(model.init_state(streams), toks[:, :C], torch.full((streams,), C))
    read_attention(model, state[0], toks[:, C:], toks[:, :C], mask[:, C:])
    logits, _ = model.step(state, toks[:, C:], torch.full((streams,), C))
    hit = logits.argmax(-1) == toks[:, C:]
    digits = torch.stack([hit[b, mask[b, C:]] for b in range(streams)]).view(streams, 2, 3).float().mean(0)
    print("value digits right (distance 1), digit 1 / 2 / 3:")
    for n, row in enumerate(digits):
        print(f"  asked {'first' if n == 0 else 'second'}: " + " / ".join(f"{x:.3f}" for x in row))
    first = np.mean([bool(hit[b, mask[b, C:]][:3].all()) for b in range(streams)])
    print(f"first-asked value right: {first:.3f} of {streams} streams")
    slot_probe(model, corpus, C)


def linear_probe(x, y, train=1200):
    """Held-out accuracy of a softmax-regression probe from features x[N, d] to digits y[N]."""
    x = (x - x[:train].mean(0)) / (x[:train].std(0) + 1e-6)
    w = torch.zeros(x.shape[1], 10, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    opt = torch.optim.Adam([w, b], lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x[:train] @ w + b, y[:train]) + 1e-3 * (w ** 2).sum()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float(((x[train:] @ w + b).argmax(-1) == y[train:]).float().mean())


def slot_probe(model, corpus, C, n=1600, seed=11):
    """Which memory slot holds which digit of which fact, after the chunk that states them."""
    rng = np.random.default_rng(seed)
    toks = torch.tensor(np.stack([data.kv_stream(rng, corpus.heldout, data.KVConfig(n_facts=2), C, 2 * C, 1)[0]
                                  for _ in range(n)]))
    with torch.no_grad():
        memory = torch.cat([model.step(model.init_state(len(t)), t[:, :C], torch.full((len(t),), C))[1][0]
                            for t in toks.split(200)])
    print("linear probe: a digit read from one memory slot, held-out accuracy for slots 0-4 (chance 0.1)")
    for name, pos in (("fact 1 digit 1", 5), ("fact 1 digit 2", 6), ("fact 1 digit 3", 7),
                      ("fact 2 digit 1", 13), ("fact 2 digit 2", 14), ("fact 2 digit 3", 15)):
        with torch.enable_grad():
            accs = [linear_probe(memory[:, s], toks[:, pos] - ord("0")) for s in range(5)]
        print(f"  {name}: " + " ".join(f"{a:.2f}" for a in accs))


if __name__ == "__main__":
    main(sys.argv[1])
