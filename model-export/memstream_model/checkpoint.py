"""Checkpoints: the model's architecture and config travel with the weights, so `eval` and
`export` rebuild the exact model from the file alone."""
from __future__ import annotations

import os
from dataclasses import asdict

import torch

from .arch import MemoryArch, build


def save(path: str, model: MemoryArch, train_cfg: dict, step: int, optimizer=None, extra=None) -> None:
    tmp = path + ".tmp"
    torch.save({
        "architecture": model.arch_name,
        "model_config": asdict(model.cfg),
        "train_config": train_cfg,
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "extra": extra or {},
    }, tmp)
    os.replace(tmp, path)  # a crash mid-write never leaves a truncated checkpoint behind


def load(path: str, map_location="cpu"):
    ck = torch.load(path, map_location=map_location, weights_only=False)
    model = build(ck["architecture"], ck["model_config"])
    model.load_state_dict(ck["model"])
    return model, ck
