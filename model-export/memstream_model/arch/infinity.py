"""`infinity`: the infinity-former, a continuous long-term memory with sticky memories.

After Martins, Marinho, Martins, "infinity-former: Infinite Memory Transformer", ACL 2022
(arXiv:2109.00301). Each layer keeps its past inputs as a continuous signal over t in [0, 1],
X(t) = B^T psi(t), with N Gaussian radial basis functions psi; the state is the coefficient
matrix B[N, d] per layer, so it has a fixed size however long the stream.

- Short-term memory: as in the paper, the chunk's queries also attend to the previous `stm_length`
  positions of each layer's input (the layer inputs are kept in the state, so the keys and values
  are recomputed with the current weights); the long-term memory holds everything before.
- Reading: besides causal attention over [short-term memory ; chunk], every query attends to the signal with a
  Gaussian density N(mu, sigma^2) over t (mu, sigma from the query's scores against the memory
  keys); E[psi_n(t)] under that density is closed-form, so the read is a few matmuls.
- Writing: the old signal is sampled at M points and squeezed into [0, tau], the chunk's real
  tokens fill [tau, 1], and B is refitted by ridge regression. Sticky memories: the sample
  points follow the attention the chunk's queries paid to the old signal (inverse CDF of that
  histogram, mixed with uniform), so regions that were read keep more resolution. We take the
  points at fixed quantiles instead of sampling at random, which keeps the graph deterministic.
- ONNX opset 17 has no matrix inverse: the ridge system is solved with Newton-Schulz iterations
  (matmuls only), which converge quadratically for the well-conditioned regularised Gram matrix.

Each chunk starts with a learned start vector whose output predicts token 0 (the contract's
"logits[:, t] predict token t"). The decode cache holds the local keys/values as in `rmt` plus
the per-layer memory keys/values (`cache_ltm`), passed through unchanged; the short-term memory's
keys/values lead the local cache, so decoding sees them like any earlier position.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .base import ConfigError, MemoryArch, ModelConfig, StateSpec, register
from .kv_cache import kv_cache_names, kv_cache_start, kv_decode_input, kv_decode_next, kv_static_names, last_real
from .rmt import MLP, NEG, attend_parts

SQRT2 = math.sqrt(2.0)


@dataclass
class InfinityConfig(ModelConfig):
    memory_slots: int = 16     # N basis functions per layer
    samples: int = 32          # M points taken from the old signal at each write
    bins: int = 16             # histogram of attention for sticky memories
    ridge: float = 0.5
    newton_iters: int = 24
    stm_length: int = 16       # short-term memory: earlier positions per layer attended directly

    def validate(self) -> None:
        super().validate()
        if self.samples < 1 or self.bins < 1 or self.ridge <= 0:
            raise ConfigError("samples and bins must be >= 1 and ridge > 0")
        if self.stm_length < 1:  # an empty state tensor would be a zero-sized graph input
            raise ConfigError(f"stm_length must be >= 1 (got {self.stm_length})")


def rbf(t, centers, widths):
    """psi_n(t) for positions t[..., T] -> [..., T, N] (unnormalised Gaussians)."""
    return torch.exp(-0.5 * ((t.unsqueeze(-1) - centers) / widths) ** 2)


class InfLayer(nn.Module):
    """Pre-LN block: causal local attention + continuous attention over the layer's memory."""

    def __init__(self, cfg: InfinityConfig):
        super().__init__()
        d, h, N = cfg.d_model, cfg.n_heads, cfg.memory_slots
        self.h, self.hd = h, d // h
        self.scale = 1.0 / math.sqrt(d // h)
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ltm_kv = nn.Linear(d, 2 * d)
        self.ltm_q = nn.Linear(d, d)
        self.w_mu = nn.Linear(N, 1)      # mu = sigmoid(w_mu . (K q)) as in the paper
        self.w_sigma = nn.Linear(N, 1)   # sigma^2 = softplus(w_sigma . (K q))
        self.ln2 = nn.LayerNorm(d)
        self.mlp = MLP(d, cfg.mlp_ratio)

    def heads(self, x):
        b, t, d = x.shape
        return x.view(b, t, self.h, self.hd).transpose(1, 2)

    def merge(self, y):
        b, h, t, hd = y.shape
        return y.transpose(1, 2).reshape(b, t, h * hd)

    def memory_kv(self, coef):
        k, v = self.ltm_kv(coef).chunk(2, dim=-1)
        return self.heads(k), self.heads(v)          # [B, H, N, hd]

    def read(self, a, mk, mv, centers, widths):
        """Continuous attention: returns the context [B,T,d] and the densities (mu, sd)."""
        q = self.heads(self.ltm_q(a))                               # [B,H,T,hd]
        s = torch.matmul(q, mk.transpose(-2, -1)) * self.scale      # [B,H,T,N]
        mu = torch.sigmoid(self.w_mu(s)).squeeze(-1)                # [B,H,T]
        var = F.softplus(self.w_sigma(s)).squeeze(-1) + 1e-3
        tot = var.unsqueeze(-1) + widths ** 2                       # [B,H,T,N]
        # E_{t~N(mu,var)}[psi_n(t)] for psi_n = exp(-(t-c)^2/(2 w^2)), over the real line
        r = widths * torch.rsqrt(tot) * torch.exp(-0.5 * (mu.unsqueeze(-1) - centers) ** 2 / tot)
        return self.merge(torch.matmul(r, mv)), mu, torch.sqrt(var)

    def forward(self, stm, x, allowed, mk, mv, centers, widths):
        """x: this chunk's positions; stm: the short-term memory before them (keys/values only)."""
        W = stm.shape[1]
        a_all = self.ln1(torch.cat([stm, x], dim=1))
        a = a_all[:, W:]
        q, k, v = self.qkv(a_all).chunk(3, dim=-1)
        q, k, v = self.heads(q[:, W:]), self.heads(k), self.heads(v)
        sc = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        sc = torch.where(allowed, sc, torch.full_like(sc, NEG))
        local = self.merge(torch.matmul(torch.softmax(sc, dim=-1), v))
        ltm, mu, sd = self.read(a, mk, mv, centers, widths)
        x = x + self.proj(local + ltm)
        return x + self.mlp(self.ln2(x)), k, v, mu, sd

    def forward_cached(self, x, past, allowed, mk, mv, centers, widths):
        """One decoded position over the cached keys/values `past` [(k, v), ...] plus itself."""
        a = self.ln1(x)
        q, k_new, v_new = self.qkv(a).chunk(3, dim=-1)
        q, k_new, v_new = self.heads(q), self.heads(k_new), self.heads(v_new)
        local = self.merge(attend_parts(q, list(past) + [(k_new, v_new)], allowed, self.scale))
        ltm, _, _ = self.read(a, mk, mv, centers, widths)
        x = x + self.proj(local + ltm)
        return x + self.mlp(self.ln2(x)), k_new, v_new


@register("infinity", InfinityConfig)
class Infinity(MemoryArch):
    def __init__(self, cfg: InfinityConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        # prefill's keys/values and the long-term memory's keys/values do not change while decoding
        self.cache_names = kv_cache_names(cfg.n_layers) + ("cache_ltm",)
        self.static_cache = kv_static_names(cfg.n_layers) + ("cache_ltm",)
        d, N = cfg.d_model, cfg.memory_slots
        self.wte = nn.Embedding(cfg.vocab_size, d)
        self.wpe = nn.Embedding(cfg.positions(), d)
        self.start = nn.Parameter(torch.randn(d) * 0.02)
        self.layers = nn.ModuleList(InfLayer(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.vocab_size, bias=False)
        for mod in self.modules():
            if isinstance(mod, (nn.Linear, nn.Embedding)):
                nn.init.normal_(mod.weight, std=0.02)
                if isinstance(mod, nn.Linear) and mod.bias is not None:
                    nn.init.zeros_(mod.bias)
        self.coef_init = nn.Parameter(torch.randn(cfg.n_layers, N, d) * 0.02)
        self.stm_init = nn.Parameter(torch.randn(cfg.n_layers, cfg.stm_length, d) * 0.02)
        self.head.weight = self.wte.weight
        # basis: centres spread over [0, 1], width ~ spacing (fixed, not learned, as in the paper)
        self.register_buffer("centers", torch.linspace(0.0, 1.0, N), persistent=False)
        self.register_buffer("widths", torch.full((N,), 1.0 / max(1, N)), persistent=False)

    def state_specs(self):
        c = self.cfg
        return [StateSpec("ltm", (c.n_layers, c.memory_slots, c.d_model)),
                StateSpec("stm", (c.n_layers, c.stm_length, c.d_model))]

    def init_state(self, batch: int):
        return (self.coef_init.unsqueeze(0).expand(batch, -1, -1, -1).contiguous(),
                self.stm_init.unsqueeze(0).expand(batch, -1, -1, -1).contiguous())

    def max_step_length(self) -> int:
        return self.cfg.positions()

    def _solve(self, gram, rhs):
        """(gram)^-1 rhs for SPD gram [B,N,N] by Newton-Schulz: X <- X (2I - G X)."""
        eye = torch.eye(gram.shape[-1], dtype=gram.dtype, device=gram.device)
        norm = (gram * gram).sum(dim=(-2, -1), keepdim=True).sqrt()
        x = eye / norm
        for _ in range(self.cfg.newton_iters):
            x = torch.matmul(x, 2 * eye - torch.matmul(gram, x))
        return torch.matmul(x, rhs)

    def _write(self, coef, h, lengths, mu, sd):
        """Refit one layer's coefficients from sticky samples of the old signal + the chunk."""
        c = self.cfg
        B, L, _ = h.shape
        # attention mass per bin from the queries' densities (real positions only), mixed with
        # uniform so every bin keeps some samples
        edges = torch.linspace(0.0, 1.0, c.bins + 1, device=h.device)
        z = (edges.view(1, 1, 1, -1) - mu.unsqueeze(-1)) / (sd.unsqueeze(-1) * SQRT2)
        cdf = 0.5 * (1 + torch.erf(z))
        mass = cdf[..., 1:] - cdf[..., :-1]                                  # [B,H,1+L,bins]
        real = (torch.arange(L, device=h.device).unsqueeze(0) < lengths.unsqueeze(1) + 1).to(h.dtype)
        mass = (mass * real.view(B, 1, L, 1)).sum(dim=(1, 2))
        hist = 0.5 * mass / mass.sum(-1, keepdim=True).clamp_min(1e-9) + 0.5 / c.bins
        cum = torch.cumsum(hist, dim=-1)                                     # [B,bins]
        qs = (torch.arange(c.samples, device=h.device, dtype=h.dtype) + 0.5) / c.samples
        idx = (cum.unsqueeze(1) < qs.view(1, -1, 1)).to(torch.int64).sum(-1).clamp(max=c.bins - 1)
        lo = torch.gather(cum - hist, 1, idx)
        frac = ((qs.unsqueeze(0) - lo) / torch.gather(hist, 1, idx)).clamp(0.0, 1.0)
        t_old = (idx.to(h.dtype) + frac) / c.bins                            # [B,M] in [0,1]
        x_old = torch.matmul(rbf(t_old, self.centers, self.widths), coef)    # [B,M,d]
        # new layout: old samples squeezed into [0,tau], real chunk tokens into [tau,1]
        n_new = lengths.to(h.dtype) + 1.0                                    # start vector + tokens
        tau = (c.samples / (c.samples + n_new)).unsqueeze(1)
        j = torch.arange(L, device=h.device, dtype=h.dtype).unsqueeze(0)
        t_new = tau + (1 - tau) * (j + 0.5) / n_new.unsqueeze(1)
        t_all = torch.cat([tau * t_old, t_new], dim=1)
        w = torch.cat([torch.ones_like(t_old), real], dim=1).unsqueeze(-1)  # padding weighs 0
        basis = rbf(t_all, self.centers, self.widths) * w                   # [B,M+L,N]
        x_all = torch.cat([x_old, h], dim=1)
        eye = torch.eye(c.memory_slots, dtype=h.dtype, device=h.device)
        gram = torch.matmul(basis.transpose(1, 2), basis) + c.ridge * eye
        return self._solve(gram, torch.matmul(basis.transpose(1, 2), x_all))

    @staticmethod
    def _last_real(seq, lengths, W: int):
        """The last W real rows of seq = [stm (W) ; start ; chunk (L, padded)] -> [B, W, d]:
        rows lengths+1 .. lengths+W, picked with a one-hot matmul (no gather in the graph)."""
        p = torch.arange(seq.shape[1], device=seq.device).view(1, 1, -1)
        want = lengths.view(-1, 1, 1) + 1 + torch.arange(W, device=seq.device).view(1, -1, 1)
        return torch.matmul((p == want).to(seq.dtype), seq)

    def _run(self, coef, stm, tokens, lengths, write: bool):
        B, L = tokens.shape
        W = self.cfg.stm_length
        pos = torch.arange(L, device=tokens.device)
        h = torch.cat([self.start.view(1, 1, -1).expand(B, 1, -1),
                       self.wte(tokens) + self.wpe(pos)], dim=1)
        # queries: start + chunk (L+1); keys: short-term memory + start + chunk (W+L+1)
        i = torch.arange(L + 1, device=tokens.device).unsqueeze(1) + W
        j = torch.arange(W + L + 1, device=tokens.device).unsqueeze(0)
        key_ok = (j <= W) | ((j - W - 1) < lengths.unsqueeze(1))
        allowed = ((j <= i).unsqueeze(0) & key_ok.unsqueeze(1)).unsqueeze(1)
        kvs, mems, new, new_stm = [], [], [], []
        for n, layer in enumerate(self.layers):
            mk, mv = layer.memory_kv(coef[:, n])
            x, k, v, mu, sd = layer(stm[:, n], h, allowed, mk, mv, self.centers, self.widths)
            if write:  # the layer's input is what its memories store
                new.append(self._write(coef[:, n], h, lengths, mu, sd))
                new_stm.append(self._last_real(torch.cat([stm[:, n], h], dim=1), lengths, W))
            kvs += [k, v]
            mems += [mk, mv]
            h = x
        nxt = (torch.stack(new, dim=1), torch.stack(new_stm, dim=1)) if write else None
        return self.ln_f(h), kvs, mems, key_ok, nxt

    def step(self, state, tokens, lengths):
        L = tokens.shape[1]
        h, _, _, _, nxt = self._run(state[0], state[1], tokens, lengths, True)
        return self.head(h[:, :L]), nxt

    def prefill(self, state, tokens, lengths):
        h, kvs, mems, key_ok, _ = self._run(state[0], state[1], tokens, lengths, False)
        cache = kv_cache_start(kvs, key_ok, lengths)
        return self.head(last_real(h[:, 1:], lengths)), cache + (torch.stack(mems, dim=1),)

    def decode(self, token, cache):
        cache_ltm = cache[-1]
        n_layers = len(self.layers)
        x, allowed, pasts = kv_decode_input(self, token, cache, n_layers)
        new = []
        for n, layer in enumerate(self.layers):
            x, k, v = layer.forward_cached(x, pasts[n], allowed, cache_ltm[:, 2 * n], cache_ltm[:, 2 * n + 1],
                                           self.centers, self.widths)
            new += [k, v]
        logits = self.head(self.ln_f(x[:, 0]))
        return logits, kv_decode_next(cache, new, n_layers) + (cache_ltm,)
