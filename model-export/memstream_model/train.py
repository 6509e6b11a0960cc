"""Training: LM loss + recall loss + memory (compositional + VICReg) loss, BPTT over chunks.

Each sequence is n_chunks chunks read in turn with the memory carried between them; gradients
flow through the memory for `bptt` chunks (the state is detached at segment boundaries). The
schedule (learning rate, distance curriculum) is step-based, so a run is reproducible from its
seed; `--max-minutes` is only a safety stop that ends the run on time.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import asdict, dataclass, fields

import numpy as np
import torch
import torch.nn.functional as F

from . import checkpoint, data
from .arch import ConfigError, MemoryArch, build


@dataclass
class TrainConfig:
    arch: str = "rmt"
    model_config: str = ""          # JSON for the architecture's config
    data: str = "kjv,jargon"
    holdout_frac: float = 0.05
    seed: int = 0
    batch_size: int = 16
    n_chunks: int = 8               # chunks per training sequence
    bptt: int = 8                   # chunks of gradient through the memory
    lr: float = 2e-3
    min_lr_frac: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    max_steps: int = 1000
    max_minutes: float = 0.0        # 0 = no time limit
    time_schedule: bool = False     # schedule by max(step/max_steps, elapsed/max_minutes)
    w_lm: float = 1.0
    w_kv: float = 1.0               # extra CE on the synthetic task's answer tokens
    w_recall: float = 0.2
    w_mem: float = 0.5
    w_vic: float = 1.0
    no_lm: bool = False
    no_kv: bool = False
    no_recall: bool = False
    no_mem: bool = False
    no_vic: bool = False
    kv_fraction: float = 0.5
    kv_facts: int = 2
    kv_in_context: float = 0.0      # share of key-value rows asked in the facts' own chunk
    kv_offset: int = 0              # facts start after up to this many tokens of filler (0: at the
                                    # chunk's start, where the memory write learns a fixed layout)
    kv_max_distance: int = 6        # curriculum end; must be < n_chunks
    curriculum_frac: float = 0.6    # share of max_steps over which the distance grows to its max
    curriculum_adaptive: bool = False  # instead: grow the distance when answer accuracy is high
    curriculum_threshold: float = 0.8  # answer-digit accuracy (EMA) that unlocks the next distance
    log_every: int = 10
    ckpt_every: int = 200
    device: str = "auto"
    threads: int = 2                # torch intra-op threads (1 is faster on a contended 2-core box)
    state_passing: float = 0.0      # share of rows that start from the previous step's final state
                                    # (TransformerFAM's random state passing) instead of the initial one
    init_from: str = ""             # start from this checkpoint's weights (a new stage: fresh
                                    # optimizer, schedule and curriculum; model config taken from it)


def add_args(p: argparse.ArgumentParser) -> None:
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool", bool):
            p.add_argument(flag, action="store_true", default=f.default)
        else:
            typ = {"int": int, "float": float, "str": str}[f.type if isinstance(f.type, str) else f.type.__name__]
            p.add_argument(flag, type=typ, default=f.default)
    p.add_argument("--out", required=True, help="run directory (train.log, ckpt.pt)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/ckpt.pt if present")


def lm_loss_sum(logits, tokens, lengths):
    """Summed CE over real tokens: logits[:, t] predict tokens[:, t] (the contract's convention)."""
    L = tokens.shape[1]
    valid = torch.arange(L, device=tokens.device).unsqueeze(0) < lengths.unsqueeze(1)
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens.reshape(-1), reduction="none")
    return (ce.view_as(tokens) * valid).sum(), valid.sum(), ce.view_as(tokens)


def vicreg(state_tensor, eps=1e-4, cov_weight=0.04):
    """VICReg (Bardes et al., ICLR 2022) over memory slots. Variance: the std of every feature
    must stay >= 1 both across the streams of the batch (the memory must depend on what was
    read) and across the slots of one stream (slots must differ); a constant memory trivially
    satisfies the compositional loss, this is what stops that collapse. Covariance: off-diagonal
    feature covariance over all slots of the batch -> 0 (features carry different information).
    The 25:1 variance:covariance ratio of the paper becomes cov_weight 0.04."""
    if state_tensor.dim() < 3:
        return state_tensor.new_zeros(())
    if state_tensor.dim() > 3:  # e.g. per-layer memories [B, layers, slots, d]: all slots of a stream
        state_tensor = state_tensor.reshape(state_tensor.shape[0], -1, state_tensor.shape[-1])
    var_term = state_tensor.new_zeros(())
    for dim in (0, 1):
        if state_tensor.shape[dim] > 1:
            std = torch.sqrt(state_tensor.var(dim=dim) + eps)
            var_term = var_term + F.relu(1.0 - std).mean()
    z = state_tensor.reshape(-1, state_tensor.shape[-1])
    z = z - z.mean(dim=0)
    cov = (z.T @ z) / max(1, z.shape[0] - 1)
    off = cov - torch.diag(torch.diag(cov))
    return var_term + cov_weight * (off ** 2).sum() / z.shape[1]


def sequence_losses(model: MemoryArch, cfg: TrainConfig, tokens, mask, chunk: int, start_state=None):
    """Forward over one batch of sequences (from `start_state`, default the initial state);
    returns a dict of losses and metrics, and the final state under "final_state"."""
    B, T = tokens.shape
    n = cfg.n_chunks
    state = start_state if start_state is not None else model.init_state(B)
    lm_sum, lm_cnt = 0.0, 0
    kv_sum, kv_cnt, kv_hit = 0.0, 0, 0
    rec_sum, rec_n, vic_sum = 0.0, 0, 0.0
    states = [state]
    for k in range(n):
        a, b = k * chunk, (k + 1) * chunk if k < n - 1 else T
        tk = tokens[:, a:b]
        ln = torch.full((B,), b - a, dtype=torch.int64, device=tokens.device)
        if k > 0 and cfg.bptt > 0 and k % cfg.bptt == 0:
            state = tuple(s.detach() for s in state)  # truncated BPTT boundary
        logits, state, _ = model.step_with_hidden(state, tk, ln)
        states.append(state)
        s, c, ce = lm_loss_sum(logits, tk, ln)
        lm_sum, lm_cnt = lm_sum + s, lm_cnt + int(c)
        m = mask[:, a:b]
        if m.any():
            kv_sum = kv_sum + ce[m].sum()
            kv_cnt += int(m.sum())
            kv_hit += int((logits.argmax(-1)[m] == tk[m]).sum())
        if not cfg.no_recall and cfg.w_recall > 0 and b - a == chunk:
            rl = model.recall_logits(state, chunk)
            if rl is not None:
                rec_sum = rec_sum + F.cross_entropy(rl.reshape(-1, rl.shape[-1]), tk.reshape(-1))
                rec_n += 1
        if not cfg.no_vic and cfg.w_vic > 0:
            vic_sum = vic_sum + sum(vicreg(x) for x in state)
    out = {"lm": lm_sum / max(1, lm_cnt),
           "kv": kv_sum / max(1, kv_cnt) if kv_cnt else tokens.new_zeros((), dtype=torch.float32),
           "recall": rec_sum / rec_n if rec_n else tokens.new_zeros((), dtype=torch.float32),
           "vic": vic_sum / n if not isinstance(vic_sum, float) else tokens.new_zeros((), dtype=torch.float32),
           "kv_acc": kv_hit / kv_cnt if kv_cnt else float("nan"),
           "tokens": B * T, "final_state": state}
    out["mem"] = tokens.new_zeros((), dtype=torch.float32)
    if not cfg.no_mem and cfg.w_mem > 0 and n >= 3:
        # compositional recurrence: reading chunks k and k+1 at once must write the memory that
        # reading them in turn writes (only where the span fits the position table)
        span = 2 * chunk
        if span <= model.max_step_length():
            k = n // 2 - 1
            rows = min(B, 4)
            before = tuple(s[:rows] for s in states[k])
            tk = tokens[:rows, k * chunk:(k + 2) * chunk]
            _, joint = model.step(before, tk, torch.full((rows,), span, dtype=torch.int64, device=tokens.device))
            seq = states[k + 2]
            out["mem"] = sum(F.mse_loss(j, s[:rows]) for j, s in zip(joint, seq)) / len(joint)
    return out


def total_loss(cfg: TrainConfig, parts):
    t = 0.0
    if not cfg.no_lm:
        t = t + cfg.w_lm * parts["lm"]
    if not cfg.no_kv:
        t = t + cfg.w_kv * parts["kv"]
    if not cfg.no_recall:
        t = t + cfg.w_recall * parts["recall"]
    if not cfg.no_mem:
        t = t + cfg.w_mem * parts["mem"]
    if not cfg.no_vic:
        t = t + cfg.w_vic * parts["vic"]
    return t


class TrainingClock:
    """Training time, for the time box and the time schedule: the wall time of each step, except
    that a step that took over PAUSE_FACTOR times the recent average counts as the average. A
    stopped process (`kill -STOP` while a benchmark needs the cores, then `kill -CONT`) or a
    suspended machine does not use up the box; a contended CPU, which slows every step, still does.
    `tick` goes after each step, so every interval it measures holds one step's work (an interval
    with none, taken as the average, would make every later step look like a pause)."""

    PAUSE_FACTOR = 10.0

    def __init__(self, elapsed: float = 0.0, now=None):
        self.elapsed = elapsed  # seconds of training time so far (a resumed run starts from its checkpoint's)
        self.paused = 0.0       # seconds not counted
        self._now = now or time.monotonic
        self._last = self._now()
        self._avg = None

    def tick(self) -> float:
        """Counts the time since the last tick (one step); returns the training time so far."""
        t = self._now()
        dt, self._last = t - self._last, t
        if self._avg is not None and dt > self.PAUSE_FACTOR * self._avg:
            self.paused += dt - self._avg
            dt = self._avg
        self._avg = dt if self._avg is None else 0.9 * self._avg + 0.1 * dt
        self.elapsed += dt
        return self.elapsed


def progress(cfg: TrainConfig, step: int, elapsed: float) -> float:
    """Share of the run done. Step-based by default (bit-reproducible); with time_schedule the
    time box counts too, so that on a shared, contended CPU the learning-rate decay and the
    distance curriculum still complete within --max-minutes (at the cost of exact replay)."""
    p = step / max(1, cfg.max_steps)
    if cfg.time_schedule and cfg.max_minutes:
        p = max(p, elapsed / (cfg.max_minutes * 60))
    return min(1.0, p)


def lr_at(cfg: TrainConfig, step: int, p: float) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    p0 = cfg.warmup / max(1, cfg.max_steps)
    q = min(1.0, max(0.0, (p - p0) / max(1e-9, 1 - p0)))
    return cfg.lr * (cfg.min_lr_frac + (1 - cfg.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * q)))


def distance_at(cfg: TrainConfig, p: float) -> int:
    q = min(1.0, p / max(1e-9, cfg.curriculum_frac))
    return 1 + int(round((cfg.kv_max_distance - 1) * q))


def passed_state(model: MemoryArch, cfg: TrainConfig, step: int, carry):
    """Random state passing (Hwang et al., TransformerFAM, sec. 3.3): a random share of the rows
    starts from the state another sequence ended in, so the model meets memories that have
    absorbed far more than one training sequence. Row choice is a function of (seed, step)."""
    if cfg.state_passing <= 0 or carry is None:
        return None
    g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
    init = model.init_state(carry[0].shape[0])
    take = torch.rand(carry[0].shape[0], generator=g) < cfg.state_passing
    return tuple(torch.where(take.to(c.device).view(-1, *[1] * (c.dim() - 1)), c, i)
                 for c, i in zip(carry, init))


def validate(cfg: TrainConfig, model: MemoryArch) -> None:
    C = model.cfg.chunk_length
    if cfg.n_chunks < 1:
        raise ConfigError("n_chunks must be >= 1")
    if not 0.0 <= cfg.state_passing <= 1.0:
        raise ConfigError(f"state_passing is a share of rows, 0..1 (got {cfg.state_passing})")
    if cfg.kv_fraction > 0 and cfg.kv_max_distance >= cfg.n_chunks:
        raise ConfigError(f"kv_max_distance {cfg.kv_max_distance} must be < n_chunks {cfg.n_chunks}")
    if cfg.kv_fraction > 0 and 1 + cfg.kv_facts * data.KVConfig(cfg.kv_facts).fact_len() > C:
        raise ConfigError(f"{cfg.kv_facts} key-value facts do not fit in a chunk of {C}")


def init_weights(cfg: TrainConfig, path: str, log) -> MemoryArch:
    """The model of an earlier stage: its architecture and config must be the ones asked for
    (a silent change of shape would only surface as a load error deep inside torch)."""
    model, ck = checkpoint.load(path)
    if ck["architecture"] != cfg.arch:
        raise ConfigError(f"--init-from {path} is a {ck['architecture']} model, not {cfg.arch}")
    want = json.loads(cfg.model_config) if cfg.model_config else {}
    diff = {k: (v, ck["model_config"].get(k)) for k, v in want.items() if ck["model_config"].get(k) != v}
    grow = {k for k in diff if k in getattr(type(model), "identity_extensions", ())}
    if set(diff) - grow:
        raise ConfigError(f"--init-from {path}: model config differs (asked, found): {diff}")
    if grow:
        # A switch whose parameters start as the identity (e.g. rmt's token shift) may be turned
        # on for a new stage: the grown model computes exactly what the checkpoint did at step 0.
        grown = build(cfg.arch, {**ck["model_config"], **want})
        missing, unexpected = grown.load_state_dict(model.state_dict(), strict=False)
        if unexpected:
            raise ConfigError(f"--init-from {path}: parameters the grown model lacks: {unexpected}")
        if hasattr(grown, "start_as_identity"):
            grown.start_as_identity(set(missing))
        log(f"grown with {sorted(grow)}: new parameters {missing} start as the identity")
        model = grown
    log(f"initialised from {path} (step {ck['step']} of its run)")
    return model


def run(cfg: TrainConfig, out: str, resume: bool = False, log=print) -> str:
    """Train; returns the checkpoint path."""
    torch.set_num_threads(max(1, cfg.threads))
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    dev = torch.device("cuda" if cfg.device == "auto" and torch.cuda.is_available() else
                       ("cpu" if cfg.device == "auto" else cfg.device))
    model = build(cfg.arch, json.loads(cfg.model_config) if cfg.model_config else {})
    if cfg.init_from and not (resume and os.path.exists(os.path.join(out, "ckpt.pt"))):
        model = init_weights(cfg, cfg.init_from, log)
    validate(cfg, model)
    model.to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.99))
    os.makedirs(out, exist_ok=True)
    ck_path = os.path.join(out, "ckpt.pt")
    start, elapsed0 = 0, 0.0
    # adaptive curriculum: the longest distance asked so far, and an EMA of answer accuracy
    adaptive_d, acc_ema = 1, 0.0
    carry = None  # the last step's final state, for random state passing
    if resume and os.path.exists(ck_path):
        ck = torch.load(ck_path, map_location=dev, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start = ck["step"]
        elapsed0 = float(ck.get("extra", {}).get("elapsed", 0.0))
        adaptive_d = int(ck.get("extra", {}).get("adaptive_d", 1))
        acc_ema = float(ck.get("extra", {}).get("acc_ema", 0.0))
        carry = ck.get("extra", {}).get("carry")
        carry = tuple(c.to(dev) for c in carry) if carry is not None else None
        log(f"resumed from {ck_path} at step {start}")
    corpus = data.split(data.load_corpus(cfg.data), cfg.holdout_frac)
    C = model.cfg.chunk_length
    extra = model.cfg.max_new_tokens if model.max_step_length() >= C + model.cfg.max_new_tokens else 0
    kv = data.KVConfig(n_facts=cfg.kv_facts, max_offset=cfg.kv_offset)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model {cfg.arch} {n_params} parameters on {dev}; config {json.dumps(asdict(cfg))}")
    clock, toks_done, step = TrainingClock(elapsed0), 0, start
    train_cfg = asdict(cfg)
    while step < cfg.max_steps:
        elapsed = clock.elapsed
        if cfg.max_minutes and elapsed > cfg.max_minutes * 60:
            log(f"time limit of {cfg.max_minutes} min reached at step {step}")
            break
        p = progress(cfg, step, elapsed)
        dmax = adaptive_d if cfg.curriculum_adaptive else distance_at(cfg, p)
        lr = lr_at(cfg, step, p)
        tk, mk = data.batch(cfg.seed, step, corpus.train, cfg.batch_size, C, cfg.n_chunks, extra,
                            0.0 if cfg.no_kv and cfg.kv_fraction == 0 else cfg.kv_fraction, kv, dmax,
                            cfg.kv_in_context)
        tk, mk = torch.from_numpy(tk).to(dev), torch.from_numpy(mk).to(dev)
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        parts = sequence_losses(model, cfg, tk, mk, C, passed_state(model, cfg, step, carry))
        carry = tuple(x.detach() for x in parts["final_state"]) if cfg.state_passing > 0 else None
        loss = total_loss(cfg, parts)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        clock.tick()
        step += 1
        toks_done += parts["tokens"]
        if parts["kv_acc"] == parts["kv_acc"]:  # not NaN: this batch had answers
            acc_ema = 0.95 * acc_ema + 0.05 * parts["kv_acc"]
            if cfg.curriculum_adaptive and acc_ema > cfg.curriculum_threshold and adaptive_d < cfg.kv_max_distance:
                adaptive_d += 1
                acc_ema = 0.0
                log(f"curriculum: distance up to {adaptive_d} from step {step}")
        if step % cfg.log_every == 0 or step == cfg.max_steps:
            el = clock.elapsed - elapsed0
            tps = toks_done / max(el, 1e-9)
            left = (cfg.max_steps - step) * el / max(1, step - start)
            if cfg.max_minutes:
                left = min(left, cfg.max_minutes * 60 - elapsed0 - el)
            v = {k: float(parts[k].detach()) for k in ("lm", "kv", "recall", "mem", "vic")}
            log(f"step {step}/{cfg.max_steps} loss {float(loss.detach()):.4f} lm {v['lm']:.4f} "
                f"bpb {v['lm'] / math.log(2):.3f} kv {v['kv']:.3f} kv_acc {parts['kv_acc']:.3f} "
                f"recall {v['recall']:.3f} mem {v['mem']:.4f} vic {v['vic']:.4f} dmax {dmax} "
                f"lr {lr:.2e} tok/s {tps:.0f} ETA {left / 60:.1f} min")
        if step % cfg.ckpt_every == 0:
            checkpoint.save(ck_path, model, train_cfg, step, opt, {"elapsed": clock.elapsed,
                                                                   "adaptive_d": adaptive_d, "acc_ema": acc_ema,
                                                                   "carry": carry})
    checkpoint.save(ck_path, model, train_cfg, step, opt, {"elapsed": clock.elapsed,
                                                           "adaptive_d": adaptive_d, "acc_ema": acc_ema,
                                                           "carry": carry})
    paused = f" ({clock.paused / 60:.1f} min paused, not counted)" if clock.paused else ""
    log(f"saved {ck_path} at step {step} after {(clock.elapsed - elapsed0) / 60:.1f} min of training{paused}")
    return ck_path


def main(a) -> int:
    cfg = TrainConfig(**{f.name: getattr(a, f.name) for f in fields(TrainConfig)})
    os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, "train.log"), "a")

    def log(msg):
        print(msg, flush=True)
        logf.write(msg + "\n")
        logf.flush()

    run(cfg, a.out, a.resume, log)
    return 0
