"""The small interface every memory architecture implements, and a registry by name.

The Java side never knows which architecture it runs (docs/model-contract.md): it only sees
state tensors, a cache and three graphs. So an architecture here is anything that can
  - say what its per-stream state is (`state_specs`) and produce the learned initial state,
  - absorb a chunk (`step`),
  - start generation from the state and the last chunk (`prefill`) and continue it one token at
    a time (`decode`) over an opaque cache whose first axis is the batch.
Training losses that need more than this (recall, memory consistency) use optional hooks with
generic fallbacks, so a new architecture only has to implement the four methods below.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple, Type

import torch
from torch import nn

Tensor = torch.Tensor
State = Tuple[Tensor, ...]
Cache = Tuple[Tensor, ...]


class ConfigError(ValueError):
    """A model configuration that cannot work; raised before any weights are built."""


@dataclass
class ModelConfig:
    """What every architecture shares: byte vocabulary, transformer size, memory slots and the
    chunk/generation lengths that the position table must cover. Architectures subclass it with
    their own fields and extend `validate`."""
    vocab_size: int = 260
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    memory_slots: int = 16
    chunk_length: int = 64
    max_new_tokens: int = 64
    mlp_ratio: int = 4
    position_table: int = 0    # rows of the token position table; 0 = chunk_length + max_new_tokens

    def positions(self) -> int:
        return self.position_table or (self.chunk_length + self.max_new_tokens)

    def validate(self) -> None:
        if self.memory_slots < 1:
            raise ConfigError(f"memory_slots must be >= 1 (got {self.memory_slots}): the chunk's "
                              "first token is predicted from memory and the state would be empty")
        if self.chunk_length < 1:
            raise ConfigError(f"chunk_length must be >= 1 (got {self.chunk_length})")
        if self.max_new_tokens < 0:
            raise ConfigError(f"max_new_tokens must be >= 0 (got {self.max_new_tokens})")
        if self.chunk_length > self.positions():
            raise ConfigError(f"chunk_length {self.chunk_length} is larger than the position "
                              f"table ({self.positions()} rows)")
        if self.chunk_length + self.max_new_tokens > self.positions():
            raise ConfigError(f"chunk_length + max_new_tokens = "
                              f"{self.chunk_length + self.max_new_tokens} exceeds the position "
                              f"table ({self.positions()} rows)")
        if self.d_model % self.n_heads:
            raise ConfigError(f"d_model {self.d_model} is not divisible by n_heads {self.n_heads}")
        if self.n_layers < 1:
            raise ConfigError("n_layers must be >= 1")
        if self.vocab_size < 260:
            raise ConfigError("vocab_size must cover the byte tokenizer (>= 260)")


@dataclass(frozen=True)
class StateSpec:
    name: str            # graph input name; the graph output is "next_" + name
    shape: Tuple[int, ...]  # per stream, without the batch dimension


class MemoryArch(nn.Module, metaclass=abc.ABCMeta):
    """Base class: subclasses set `arch_name` and implement the abstract methods (an architecture
    that misses one cannot be instantiated, so the gap shows at build time, not at export)."""

    arch_name = "base"
    cache_names: Tuple[str, ...] = ()
    # cache tensors decode reads but never changes (prefill's keys/values): the decode graph does
    # not output them again, so a long cache is not copied at every generated token
    static_cache: Tuple[str, ...] = ()

    def changing_cache(self) -> List[str]:
        """The cache tensors decode replaces (outputs as "next_" + name), in cache order."""
        return [c for c in self.cache_names if c not in self.static_cache]

    @abc.abstractmethod
    def state_specs(self) -> List[StateSpec]:
        """Name and per-stream shape of each state tensor, in graph order."""

    @abc.abstractmethod
    def init_state(self, batch: int) -> State:
        """The learned initial state, repeated over the batch."""

    @abc.abstractmethod
    def step(self, state: State, tokens: Tensor, lengths: Tensor) -> Tuple[Tensor, State]:
        """tokens[B,L] int64, lengths[B] -> logits[B,L,V] (logits[:,t] predicts token t), next state."""

    @abc.abstractmethod
    def prefill(self, state: State, tokens: Tensor, lengths: Tensor) -> Tuple[Tensor, Cache]:
        """-> logits[B,V] for the token after tokens[b, lengths[b]-1], and the decode cache."""

    @abc.abstractmethod
    def decode(self, token: Tensor, cache: Cache) -> Tuple[Tensor, Cache]:
        """token[B] -> logits[B,V] for the token after it, and the grown cache."""

    # ---- optional hooks used by training; the defaults keep new architectures working ----
    def step_with_hidden(self, state: State, tokens: Tensor, lengths: Tensor):
        """Like step, plus the chunk's hidden states (for the recall loss) or None."""
        logits, nxt = self.step(state, tokens, lengths)
        return logits, nxt, None

    def recall_logits(self, state: State, length: int):
        """Logits [B,length,V] reproducing the chunk just read from `state` alone, or None."""
        return None

    @abc.abstractmethod
    def max_step_length(self) -> int:
        """Longest chunk `step` accepts (the position table)."""


_REGISTRY: Dict[str, Tuple[Type[MemoryArch], Callable]] = {}


def register(name: str, config_cls: Callable):
    """Class decorator: make an architecture buildable by name from a config dict."""
    def wrap(cls):
        cls.arch_name = name
        _REGISTRY[name] = (cls, config_cls)
        return cls
    return wrap


def available() -> List[str]:
    return sorted(_REGISTRY)


def config_for(name: str, values: dict):
    if name not in _REGISTRY:
        raise ConfigError(f"unknown architecture {name!r}; known: {', '.join(available())}")
    cfg_cls = _REGISTRY[name][1]
    known = set(cfg_cls.__dataclass_fields__)
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown config keys for architecture {name!r}: {unknown}")
    return cfg_cls(**values)


def build(name: str, values: dict) -> MemoryArch:
    cfg = config_for(name, values)
    cfg.validate()
    return _REGISTRY[name][0](cfg)


def state_bytes(model: MemoryArch) -> int:
    """Bytes of state a stream keeps between chunks (float32)."""
    total = 0
    for spec in model.state_specs():
        n = 1
        for s in spec.shape:
            n *= s
        total += 4 * n
    return total


def names_in(state_specs: Sequence[StateSpec]) -> List[str]:
    return [s.name for s in state_specs]


def read_stream(model: MemoryArch, tokens: Tensor, chunk: int, state: State = None):
    """Read a long [B,T] stream in chunks of `chunk` carrying the state, as the Java processor
    does; returns the per-position logits [B,T,V] and the final state."""
    B, T = tokens.shape
    state = model.init_state(B) if state is None else state
    out = []
    for a in range(0, T, chunk):
        tk = tokens[:, a:a + chunk]
        logits, state = model.step(state, tk, torch.full((B,), tk.shape[1], dtype=torch.int64,
                                                         device=tokens.device))
        out.append(logits)
    return torch.cat(out, dim=1), state
