"""Architectures, registered by name (importing this package registers them all)."""
from .base import (ConfigError, MemoryArch, StateSpec, available, build, config_for,  # noqa: F401
                   read_stream, state_bytes)
from . import fam, infinity, rmt  # noqa: F401  (registers "fam", "infinity", "rmt")
