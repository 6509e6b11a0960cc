"""`rmt`: a recurrent memory transformer with a separate memory module.

One readable file in the spirit of nanoGPT's model.py. Design after
  - Bulatov, Kuratov, Burtsev, "Recurrent Memory Transformer", NeurIPS 2022 (arXiv:2207.06881):
    memory tokens are prepended to each chunk, the chunk is processed with them, the memory is
    carried to the next chunk and gradients flow through it (BPTT);
  - the "memory module" variants that write the next memory with a separate cross-attention
    block over the chunk's hidden states instead of reading it off the memory token outputs
    (e.g. Wu et al., "Memformer", arXiv:2010.06891; Chevalier et al., "AutoCompressors",
    arXiv:2305.14788 for the recall / reconstruction idea).

Predictor: a causal LM over [memory tokens ; chunk tokens]. Memory tokens carry their own
learned position embeddings and see only each other, so their keys/values depend on the memory
alone; chunk tokens see all memory tokens and earlier chunk tokens. Per the contract,
logits[:, t] predict token t itself: the output of the last memory slot predicts token 0 and the
output of chunk token t-1 predicts token t.

Memory module: the previous memory (queries) cross-attends to the predictor's final hidden
states (memory positions and the real chunk tokens; padding is masked out), then self-attention
among slots, a feed-forward and a LayerNorm give the next memory. The first chunk's memory is a
learned parameter, exported as data.

Everything the ONNX graphs contain is written out by hand: attention is matmul + softmax with
-1e9 fills, masks are built from arange comparisons, so the TorchScript exporter produces only
plain opset-17 ops (no fused attention kernel), and dynamic batch/length survive the trace.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .base import Cache, ConfigError, MemoryArch, ModelConfig, State, StateSpec, register
from .kv_cache import kv_cache_names, kv_decode, kv_prefill_outputs, kv_static_names

NEG = -1e9  # a finite fill: exp underflows to 0 and no row is ever all -inf (memory is always visible)


@dataclass
class RMTConfig(ModelConfig):
    mem_layers: int = 1        # blocks in the memory module
    token_shift: int = 0       # attention inputs mix in this many preceding chunk tokens' (see
                               # Block); true counts as 1
    write_context: int = 0     # the memory write sees each chunk position mixed with this many
                               # predecessors (see RMT.write_context)
    write_inputs: bool = False # the memory write also sees each position's input token (see
                               # RMT.write_sources)
    write_context_full: bool = False  # the write context's lags also pass through full d x d
                               # matrices, not only per-channel weights (see RMT.write_context)
    write_ahead: int = 0       # the memory write sees each chunk position mixed with this many
                               # successors (see RMT.write_ahead)
    write_mlp: bool = False    # each chunk position's write source passes through a residual MLP
                               # before the memory module sums positions (see RMT.write_keys)

    def validate(self) -> None:
        super().validate()
        if self.mem_layers < 1:
            raise ConfigError("mem_layers must be >= 1")
        if not 0 <= int(self.token_shift) < self.chunk_length:
            raise ConfigError(f"token_shift must be in [0, chunk_length): {self.token_shift}")
        if not 0 <= self.write_context < self.chunk_length:
            raise ConfigError(f"write_context must be in [0, chunk_length): {self.write_context}")
        if not 0 <= self.write_ahead < self.chunk_length:
            raise ConfigError(f"write_ahead must be in [0, chunk_length): {self.write_ahead}")
        if self.write_context_full and not self.write_context:
            raise ConfigError("write_context_full needs write_context >= 1 (the lags it mixes)")


def attend(q, k, v, allowed, scale: float, bias=None):
    """Plain scaled dot-product attention. q[B,H,Tq,hd], k/v[B,H,Tk,hd], allowed broadcastable to
    [B,H,Tq,Tk] (bool), optional additive bias broadcastable the same way. Written out so the
    exported graph is MatMul/Softmax/Where only. `scale` is a Python float so the trace keeps it
    as a constant rather than a shape computation."""
    scores = torch.matmul(q, k.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    scores = torch.where(allowed, scores, torch.full_like(scores, NEG))
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def attend_parts(q, parts, allowed, scale: float):
    """`attend` over keys/values held in several tensors [(k, v), ...] (a decode step's cache
    parts and its own position), without concatenating them: only the scores are joined, so a
    long cache is read, not copied, at every generated token."""
    scores = torch.cat([torch.matmul(q, k.transpose(-2, -1)) for k, _ in parts], dim=-1) * scale
    scores = torch.where(allowed, scores, torch.full_like(scores, NEG))
    p = torch.softmax(scores, dim=-1)
    out, start = None, 0
    for k, v in parts:
        n = k.shape[-2]
        y = torch.matmul(p[..., start:start + n], v)
        out = y if out is None else out + y
        start = start + n
    return out


class MultiHead(nn.Module):
    """Multi-head attention with separate query and key/value inputs (self- or cross-)."""

    def __init__(self, d: int, h: int):
        super().__init__()
        self.h = h
        self.scale = 1.0 / math.sqrt(d // h)
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.proj = nn.Linear(d, d)

    def split(self, x):
        b, t, d = x.shape
        return x.view(b, t, self.h, d // self.h).transpose(1, 2)

    def project_kv(self, x):
        k, v = self.kv(x).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def merge(self, y):
        b, h, t, hd = y.shape
        return self.proj(y.transpose(1, 2).reshape(b, t, h * hd))

    def forward(self, xq, xkv, allowed, bias=None):
        k, v = self.project_kv(xkv)
        return self.merge(attend(self.split(self.q(xq)), k, v, allowed, self.scale, bias)), k, v


class MLP(nn.Module):
    def __init__(self, d: int, ratio: int):
        super().__init__()
        self.fc = nn.Linear(d, ratio * d)
        self.out = nn.Linear(ratio * d, d)

    def forward(self, x):
        return self.out(F.gelu(self.fc(x)))  # exact (erf) GELU: one Erf op in ONNX


def previous_positions(a, start: int, lag: int = 1):
    """a[:, t-lag] at every position t >= start + lag, zeros at the chunk's first `lag` positions
    (they have no such predecessor in the chunk) and a itself before `start` (memory positions are
    not shifted)."""
    chunk = a[:, start:]
    lagged = F.pad(chunk, (0, 0, lag, 0))[:, :-lag]
    return torch.cat([a[:, :start], lagged], dim=1)


class Block(nn.Module):
    """Pre-LN transformer block; returns the keys/values too so prefill can cache them.

    With `token_shift` = K, the attention input at each chunk position is a learned per-channel mix
    of its own and the K preceding positions' normalised inputs: "smeared keys" (Olsson et al.,
    "In-context Learning and Induction Heads", 2022), like RWKV's token shift, over several lags.
    One layer can then match "the position after X" - the lookup that answers a fact read back
    out of memory or from earlier in the chunk - without first having to grow a previous-token
    head in the layer below. A fact's key is several tokens back from the value it names ("kq="
    before "381"), so one lag does not reach it (measured: the 2-layer model with one lag still
    guessed between stored values); channels can specialise, one set carrying lag 2, another
    lag 3. The mix starts at zero, so a block without it is the same function."""

    def __init__(self, d: int, h: int, ratio: int, token_shift: int = 0):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = MultiHead(d, h)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = MLP(d, ratio)
        self.shift = nn.Parameter(torch.zeros(int(token_shift), d)) if token_shift else None

    def mix(self, a, prevs):
        """a mixed with `prevs`, the normalised inputs 1, 2, ... positions back."""
        out = a
        for j, prev in enumerate(prevs):
            out = out + self.shift[j] * (prev - a)
        return out

    def forward(self, x, allowed, shift_start: int = 0):
        a = self.ln1(x)
        if self.shift is not None:
            a = self.mix(a, [previous_positions(a, shift_start, j + 1) for j in range(self.shift.shape[0])])
        y, k, v = self.attn(a, a, allowed)
        x = x + y
        return x + self.mlp(self.ln2(x)), k, v

    def forward_cached(self, x, past, allowed, prevs=None):
        """One new position attending to cached keys/values `past` [(k, v), ...] plus itself
        (decode); `prevs` are the preceding positions' normalised inputs (token shift only)."""
        a = self.mix(self.ln1(x), prevs) if self.shift is not None else self.ln1(x)
        k_new, v_new = self.attn.project_kv(a)
        q = self.attn.split(self.attn.q(a))
        x = x + self.attn.merge(attend_parts(q, list(past) + [(k_new, v_new)], allowed, self.attn.scale))
        return x + self.mlp(self.ln2(x)), k_new, v_new


class MemoryBlock(nn.Module):
    """Memory module block: cross-attention to the predictor's states, slot self-attention, FFN."""

    def __init__(self, d: int, h: int, ratio: int):
        super().__init__()
        self.ln_q = nn.LayerNorm(d)
        self.ln_c = nn.LayerNorm(d)
        self.cross = MultiHead(d, h)
        self.ln_s = nn.LayerNorm(d)
        self.self_attn = MultiHead(d, h)
        self.ln_f = nn.LayerNorm(d)
        self.mlp = MLP(d, ratio)

    def forward(self, m, ctx, ctx_allowed, bias=None):
        m = m + self.cross(self.ln_q(m), self.ln_c(ctx), ctx_allowed, bias)[0]
        s = self.ln_s(m)
        m = m + self.self_attn(s, s, torch.ones(1, 1, 1, 1, dtype=torch.bool))[0]
        return m + self.mlp(self.ln_f(m))


@register("rmt", RMTConfig)
class RMT(MemoryArch):
    # config switches whose new parameters start as the identity: a later training stage may turn
    # them on from an earlier stage's weights (train.py --init-from); n_layers and mem_layers may
    # grow, the new blocks appended after the old ones (start_as_identity)
    identity_extensions = ("token_shift", "write_context", "write_inputs", "write_context_full", "write_ahead",
                           "write_mlp", "n_layers", "mem_layers")

    def __init__(self, cfg: RMTConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.cache_names = kv_cache_names(cfg.n_layers) + (("cache_shift",) if cfg.token_shift else ())
        self.static_cache = kv_static_names(cfg.n_layers)
        d, M = cfg.d_model, cfg.memory_slots
        self.wte = nn.Embedding(cfg.vocab_size, d)
        self.wpe = nn.Embedding(cfg.positions(), d)
        self.mpe = nn.Parameter(torch.randn(M, d) * 0.02)   # memory tokens' own positions
        self.blocks = nn.ModuleList(Block(d, cfg.n_heads, cfg.mlp_ratio, cfg.token_shift)
                                    for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.vocab_size, bias=False)
        self.mem_blocks = nn.ModuleList(MemoryBlock(d, cfg.n_heads, cfg.mlp_ratio)
                                        for _ in range(cfg.mem_layers))
        self.mem_norm = nn.LayerNorm(d)
        self.write_bias = nn.Parameter(self.locality_prior(cfg))
        self.write_mix = nn.Parameter(torch.zeros(cfg.write_context, d)) if cfg.write_context else None
        self.write_lags = nn.Linear(cfg.write_context * d, d, bias=False) if cfg.write_context_full else None
        self.write_leads = nn.Linear(cfg.write_ahead * d, d, bias=False) if cfg.write_ahead else None
        if cfg.write_mlp:
            self.write_mlp_norm = nn.LayerNorm(d)
            self.write_mlp = MLP(d, cfg.mlp_ratio)
        if cfg.write_inputs:
            self.write_in_norm = nn.LayerNorm(d)
            self.write_in_gate = nn.Parameter(torch.zeros(d))
        # Training-only recall decoder: reproduces the chunk from memory and positions alone.
        self.recall_pos = nn.Parameter(torch.randn(cfg.chunk_length, d) * 0.02)
        self.recall_block = Block(d, cfg.n_heads, cfg.mlp_ratio)
        self.apply(self._init)
        # Small, like the block outputs that write into it: a unit-scale initial memory would
        # drown the first chunk's write (~0.02 scale at init) and with it the gradient that
        # teaches the memory to keep facts (measured: recall stayed at chance).
        self.memory_init = nn.Parameter(torch.randn(M, d) * 0.02)
        for mix in (self.write_lags, self.write_leads):
            if mix is not None:
                nn.init.zeros_(mix.weight)  # starts as the identity, as write_mix does
        if cfg.write_mlp:  # the residual MLP adds nothing until trained
            nn.init.zeros_(self.write_mlp.out.weight)
            nn.init.zeros_(self.write_mlp.out.bias)
        self.head.weight = self.wte.weight  # weight tying (Press & Wolf, 2017)

    @staticmethod
    def locality_prior(cfg: RMTConfig) -> torch.Tensor:
        """Initial write bias [M, M + positions]: slot s starts out reading "its" stretch of the
        chunk (positions around (s + 1/2) C / M) and, more weakly, its own previous value.
        Uniform attention would write the chunk's average into every slot, where a fact of a
        few bytes is diluted ~C-fold and the gradient that should teach the memory to keep it
        is too weak to find (measured: recall at distance 1 stayed at chance for 1k steps).
        Starting from a downsampled copy of the chunk gives that gradient something to
        sharpen; the bias is learned, so slots can move, widen, or turn to carrying memory."""
        M, C, P = cfg.memory_slots, cfg.chunk_length, cfg.positions()
        width = max(1.0, C / M)
        centre = (torch.arange(M, dtype=torch.float32) + 0.5) * width
        j = torch.arange(P, dtype=torch.float32)
        chunk = -2.0 * ((j.unsqueeze(0) - centre.unsqueeze(1)) / width) ** 2
        mem = torch.full((M, M), -4.0)
        mem.fill_diagonal_(0.0)
        return torch.cat([mem, chunk], dim=1)

    @torch.no_grad()
    def start_as_identity(self, missing):
        """Called on a grown model with the names of the parameters the checkpoint lacked: blocks
        appended by a larger `n_layers` or `mem_layers` get zero output projections (attention and
        MLP), so they add nothing to the residual stream until trained, as the zero-initialised
        residual branches of Fixup (Zhang et al., 2019) and ReZero (Bachlechner et al., 2020). The
        other extensions start as the identity by construction."""
        outputs = (".attn.proj.", ".mlp.out.", ".cross.proj.", ".self_attn.proj.")
        for name, p in self.named_parameters():
            if name in missing and name.startswith(("blocks.", "mem_blocks.")) and any(o in name for o in outputs):
                p.zero_()

    @staticmethod
    def _init(mod):
        if isinstance(mod, nn.Linear):
            nn.init.normal_(mod.weight, std=0.02)
            if mod.bias is not None:
                nn.init.zeros_(mod.bias)
        elif isinstance(mod, nn.Embedding):
            nn.init.normal_(mod.weight, std=0.02)

    # ---- interface ----
    def state_specs(self):
        return [StateSpec("memory", (self.cfg.memory_slots, self.cfg.d_model))]

    def init_state(self, batch: int) -> State:
        return (self.memory_init.unsqueeze(0).expand(batch, -1, -1).contiguous(),)

    def max_step_length(self) -> int:
        return self.cfg.positions()

    def _predict(self, memory, tokens, lengths):
        """Run the predictor; returns hidden[B,M+L,d] (after ln_f), per-layer (k, v), key mask,
        and with token shift every block's input (prefill caches their last positions)."""
        M = self.cfg.memory_slots
        L = tokens.shape[1]
        pos = torch.arange(L, device=tokens.device)
        x = torch.cat([memory + self.mpe, self.wte(tokens) + self.wpe(pos)], dim=1)
        i = torch.arange(M + L, device=tokens.device).unsqueeze(1)
        j = torch.arange(M + L, device=tokens.device).unsqueeze(0)
        # memory -> memory only; chunk -> all memory + causal chunk
        causal = (j < M) | ((i >= M) & (j <= i))
        key_ok = (j < M) | ((j - M) < lengths.unsqueeze(1))          # [B, M+L]: padding never a key
        allowed = causal.unsqueeze(0).unsqueeze(0) & key_ok.unsqueeze(1).unsqueeze(1)
        kvs, inputs = [], []
        for blk in self.blocks:
            inputs.append(x)
            x, k, v = blk(x, allowed, M)
            kvs.append((k, v))
        return self.ln_f(x), kvs, key_ok, (inputs if self.cfg.token_shift else None)

    def _on_chunk(self, hidden, f):
        """hidden with f applied to its chunk positions; memory positions pass unchanged."""
        M = self.cfg.memory_slots
        return torch.cat([hidden[:, :M], f(hidden[:, M:])], dim=1)

    def write_context(self, hidden):
        """The states the memory module reads: each chunk position plus a learned per-channel mix
        of its `write_context` predecessors (a causal depthwise convolution, zero at init, so
        turning it on changes nothing until trained). A slot that reads the value of a fact
        "@kq=381;" then also sees its key: the final hidden states at the digits need not carry
        the key (the LM predicts random digits from them), and with key and value in different
        slots a later query would have to match one slot and read another (measured on the
        stage-2 model: the value of the first-asked fact was right 23-33% of the time, the second
        94-100%). Memory positions are not mixed; lags before the chunk start read zeros.

        With `write_context_full` the lags also pass through one d x d matrix each (a causal
        convolution mixing channels, zero at init). Per-channel weights can only add the lags up
        channel by channel, so six tokens share 128 channels by superposition; the binding probe
        found the default's memory keeping a fact's third digit apart from its key (slot 2 held
        both facts' third digits). Full matrices let one position hold a whole fact, key and
        value, in separate directions, so whichever slot reads it holds the fact entire. Measured
        (model-export/README.md, "What was tried", session 7): it moved each third digit forward,
        into the next fact's slot, and recall did not change; lags only carry a fact forward."""
        if self.write_mix is None:
            return hidden

        def mix(chunk):
            lags = [previous_positions(chunk, 0, j + 1) for j in range(self.write_mix.shape[0])]
            mixed = chunk
            for w, lagged in zip(self.write_mix, lags):
                mixed = mixed + w * lagged
            if self.write_lags is not None:
                mixed = mixed + self.write_lags(torch.cat(lags, dim=-1))
            return mixed
        return self._on_chunk(hidden, mix)

    def write_sources(self, hidden, tokens):
        """What each chunk position offers the memory write: its final hidden state and, with
        `write_inputs`, plus a learned per-channel gate (zero at init: the identity, so a later
        stage may switch it on) on its normalised input embedding. The final hidden states are
        shaped to predict the next token, so at a fact's digits they say little about the digits
        themselves; a predictor handed memory made of the fact tokens' embeddings learned to
        answer from it in ~250 steps (model-export/README.md, "What was tried"), so the write is
        given the tokens too. Memory positions pass unchanged."""
        if not self.cfg.write_inputs:
            return hidden
        pos = torch.arange(tokens.shape[1], device=tokens.device)
        emb = self.write_in_norm(self.wte(tokens) + self.wpe(pos))
        return self._on_chunk(hidden, lambda chunk: chunk + self.write_in_gate * emb)

    def write_ahead(self, hidden, key_ok):
        """Each chunk position plus its `write_ahead` successors, each through a d x d matrix (zero
        at init: the identity). The memory is written after the whole chunk is read, so the write may
        look ahead at no cost to causality. The binding probe found the memory keeping a fact's key
        and first two digits in one slot and its third digit in the next, which held both facts'
        third digits (model-export/README.md, "What was tried"); the lags of `write_context` only
        bring a fact's key forward to its digits, a slot that reads the key needs the digits
        brought back. Padding reads as zeros, so it never changes the memory."""
        if self.write_leads is None:
            return hidden
        real = key_ok[:, self.cfg.memory_slots:].unsqueeze(-1).to(hidden.dtype)

        def add_leads(chunk):
            seen = chunk * real
            leads = [F.pad(seen, (0, 0, 0, j + 1))[:, j + 1:] for j in range(self.cfg.write_ahead)]
            return chunk + self.write_leads(torch.cat(leads, dim=-1))
        return self._on_chunk(hidden, add_leads)

    def write_keys(self, hidden, key_ok, tokens):
        """What the memory module reads: memory positions as they are, chunk positions with their
        input tokens, predecessors and successors mixed in as configured, then with `write_mlp` a
        residual MLP at each chunk position. The mixes are linear: two facts summed into one slot
        give key 1 + digit 1 + key 2 + digit 2, which says nothing of which digit went with which
        key (the binding problem of superposed codes). A nonlinearity applied per position, before
        the slot sums positions, can give each (key, digit) pair a code of its own, so that a sum of
        two still says which is which."""
        h = self.write_ahead(self.write_context(self.write_sources(hidden, tokens)), key_ok)
        if not self.cfg.write_mlp:
            return h
        return self._on_chunk(h, lambda chunk: chunk + self.write_mlp(self.write_mlp_norm(chunk)))

    def _write(self, memory, hidden, key_ok, tokens):
        m = memory
        hidden = self.write_keys(hidden, key_ok, tokens)
        allowed = key_ok.unsqueeze(1).unsqueeze(1)
        # learned per-slot bias over the keys [memory ; chunk positions], sliced to this length
        bias = self.write_bias[:, :hidden.shape[1]].unsqueeze(0).unsqueeze(0)
        for blk in self.mem_blocks:
            m = blk(m, hidden, allowed, bias)
        return self.mem_norm(m)

    def step_with_hidden(self, state, tokens, lengths):
        memory = state[0]
        M = self.cfg.memory_slots
        L = tokens.shape[1]
        h, _, key_ok, _ = self._predict(memory, tokens, lengths)
        logits = self.head(h[:, M - 1:M - 1 + L])
        return logits, (self._write(memory, h, key_ok, tokens),), h

    def step(self, state, tokens, lengths):
        logits, nxt, _ = self.step_with_hidden(state, tokens, lengths)
        return logits, nxt

    def prefill(self, state, tokens, lengths):
        M = self.cfg.memory_slots
        h, kvs, key_ok, inputs = self._predict(state[0], tokens, lengths)
        return kv_prefill_outputs(self, h, M, kvs, key_ok, tokens, lengths, inputs)

    def decode(self, token, cache):
        return kv_decode(self, token, cache)

    def recall_logits(self, state, length: int):
        """Non-autoregressive reconstruction of the last chunk from the memory alone: queries are
        position embeddings with no token information, so everything must come from memory."""
        m = state[0]
        b = m.shape[0]
        q = self.recall_pos[:length].unsqueeze(0).expand(b, -1, -1)
        x = torch.cat([m + self.mpe, q], dim=1)
        allowed = torch.ones(1, 1, 1, 1, dtype=torch.bool, device=m.device)
        x, _, _ = self.recall_block(x, allowed)
        return self.head(self.ln_f(x[:, self.cfg.memory_slots:]))
