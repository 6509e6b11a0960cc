"""`fam`: TransformerFAM, feedback attention as working memory.

After Hwang et al., "TransformerFAM: Feedback attention is working memory" (arXiv:2404.09173).
Every layer owns F feedback-memory (FAM) vectors. A chunk is processed block-wise: in each layer
the chunk tokens attend to that layer's FAM from the previous chunk and causally to each other,
while the FAM queries attend to the previous FAM and the whole (unpadded) chunk; their outputs
are that layer's FAM for the next chunk. So memory lives at every depth, not only at the input
(contrast with `rmt`). A LayerNorm on the written FAM keeps its scale fixed over long streams.

To honour the contract's "logits[:, t] predict token t", each chunk starts with a learned start
vector (not a token id): its output predicts token 0, so FAM queries (which see the whole chunk)
never leak future tokens into any logit. The state is one tensor `fam[n_layers, F, d]`; the
decode cache has the same layout as `rmt`'s, so the Java side runs it unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .base import ConfigError, MemoryArch, StateSpec, register
from .rmt import Block


@dataclass
class FAMConfig:
    vocab_size: int = 260
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    memory_slots: int = 8      # FAM vectors per layer
    chunk_length: int = 64
    max_new_tokens: int = 64
    mlp_ratio: int = 4
    position_table: int = 0    # 0 = chunk_length + max_new_tokens

    def positions(self) -> int:
        return self.position_table or (self.chunk_length + self.max_new_tokens)

    def validate(self) -> None:
        if self.memory_slots < 1:
            raise ConfigError(f"memory_slots must be >= 1 (got {self.memory_slots})")
        if self.chunk_length < 1 or self.max_new_tokens < 0:
            raise ConfigError("chunk_length must be >= 1 and max_new_tokens >= 0")
        if self.chunk_length + self.max_new_tokens > self.positions():
            raise ConfigError(f"chunk_length {self.chunk_length} (+ max_new_tokens) is larger than "
                              f"the position table ({self.positions()} rows)")
        if self.d_model % self.n_heads:
            raise ConfigError(f"d_model {self.d_model} is not divisible by n_heads {self.n_heads}")
        if self.n_layers < 1:
            raise ConfigError("n_layers must be >= 1")


@register("fam", FAMConfig)
class FAM(MemoryArch):
    cache_names = ("cache_kv", "cache_mask", "cache_pos")

    def __init__(self, cfg: FAMConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        d, F = cfg.d_model, cfg.memory_slots
        self.wte = nn.Embedding(cfg.vocab_size, d)
        self.wpe = nn.Embedding(cfg.positions(), d)
        self.start = nn.Parameter(torch.randn(d) * 0.02)
        self.fpe = nn.Parameter(torch.randn(cfg.n_layers, F, d) * 0.02)  # FAM positions, per layer
        self.blocks = nn.ModuleList(Block(d, cfg.n_heads, cfg.mlp_ratio) for _ in range(cfg.n_layers))
        self.fam_norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.vocab_size, bias=False)
        for mod in self.modules():
            if isinstance(mod, (nn.Linear, nn.Embedding)):
                nn.init.normal_(mod.weight, std=0.02)
                if isinstance(mod, nn.Linear) and mod.bias is not None:
                    nn.init.zeros_(mod.bias)
        self.fam_init = nn.Parameter(torch.randn(cfg.n_layers, F, d))
        self.head.weight = self.wte.weight

    def state_specs(self):
        c = self.cfg
        return [StateSpec("fam", (c.n_layers, c.memory_slots, c.d_model))]

    def init_state(self, batch: int):
        return (self.fam_init.unsqueeze(0).expand(batch, -1, -1, -1).contiguous(),)

    def max_step_length(self) -> int:
        return self.cfg.positions()

    def _run(self, fam, tokens, lengths):
        """All layers over [FAM ; start ; chunk]; returns chunk-side hidden [B,1+L,d] (after
        ln_f), per-layer (k, v) over F+1+L positions, key validity [B,F+1+L], next FAM."""
        F_ = self.cfg.memory_slots
        B, L = tokens.shape
        pos = torch.arange(L, device=tokens.device)
        start = self.start.view(1, 1, -1).expand(B, 1, -1)
        h = torch.cat([start, self.wte(tokens) + self.wpe(pos)], dim=1)
        T = F_ + 1 + L
        i = torch.arange(T, device=tokens.device).unsqueeze(1)
        j = torch.arange(T, device=tokens.device).unsqueeze(0)
        # FAM rows see everything real; start/chunk rows see FAM and causally the chunk side
        causal = (i < F_) | (j < F_) | (j <= i)
        key_ok = (j < F_ + 1) | ((j - F_ - 1) < lengths.unsqueeze(1))
        allowed = causal.unsqueeze(0).unsqueeze(0) & key_ok.unsqueeze(1).unsqueeze(1)
        kvs, new_fam = [], []
        for n, blk in enumerate(self.blocks):
            x = torch.cat([fam[:, n] + self.fpe[n], h], dim=1)
            x, k, v = blk(x, allowed)
            new_fam.append(self.fam_norms[n](x[:, :F_]))
            h = x[:, F_:]
            kvs.append((k, v))
        return self.ln_f(h), kvs, key_ok, torch.stack(new_fam, dim=1)

    def step(self, state, tokens, lengths):
        L = tokens.shape[1]
        h, _, _, nxt = self._run(state[0], tokens, lengths)
        return self.head(h[:, :L]), (nxt,)

    def prefill(self, state, tokens, lengths):
        L = tokens.shape[1]
        h, kvs, key_ok, _ = self._run(state[0], tokens, lengths)
        last = (torch.arange(L, device=tokens.device).unsqueeze(0) == (lengths - 1).unsqueeze(1))
        h_last = (h[:, 1:] * last.unsqueeze(-1).to(h.dtype)).sum(dim=1)
        cache_kv = torch.stack([t for kv in kvs for t in kv], dim=1)
        return self.head(h_last), (cache_kv, key_ok.to(h.dtype), lengths)

    def decode(self, token, cache):
        cache_kv, cache_mask, cache_pos = cache
        x = (self.wte(token) + self.wpe(cache_pos)).unsqueeze(1)
        ones = torch.ones_like(cache_mask[:, :1])
        allowed = (torch.cat([cache_mask, ones], dim=1) > 0.5).unsqueeze(1).unsqueeze(1)
        new = []
        for n, blk in enumerate(self.blocks):
            x, k, v = blk.forward_cached(x, cache_kv[:, 2 * n], cache_kv[:, 2 * n + 1], allowed)
            new += [k, v]
        logits = self.head(self.ln_f(x[:, 0]))
        next_kv = torch.cat([cache_kv, torch.stack(new, dim=1)], dim=3)
        return logits, (next_kv, torch.cat([cache_mask, ones], dim=1), cache_pos + 1)
