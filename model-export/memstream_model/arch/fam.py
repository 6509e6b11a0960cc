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

from .base import MemoryArch, ModelConfig, StateSpec, register
from .kv_cache import kv_cache_names, kv_decode, kv_prefill_outputs, kv_static_names
from .rmt import Block


@dataclass
class FAMConfig(ModelConfig):
    memory_slots: int = 8      # FAM vectors per layer


@register("fam", FAMConfig)
class FAM(MemoryArch):
    def __init__(self, cfg: FAMConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.cache_names = kv_cache_names(cfg.n_layers)
        self.static_cache = kv_static_names(cfg.n_layers)
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
        h, kvs, key_ok, _ = self._run(state[0], tokens, lengths)
        return kv_prefill_outputs(self, h, 1, kvs, key_ok, tokens, lengths)

    def decode(self, token, cache):
        return kv_decode(self, token, cache)
