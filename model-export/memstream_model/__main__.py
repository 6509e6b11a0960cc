"""Command line: python -m memstream_model {train,eval,export,validate,recover,state-storage,info} ..."""
from __future__ import annotations

import argparse
import json
import sys

import torch

from . import arch as arch_mod


def _parse_json(s: str) -> dict:
    try:
        v = json.loads(s) if s else {}
    except json.JSONDecodeError as e:
        raise SystemExit(f"--model-config is not valid JSON: {e}")
    if not isinstance(v, dict):
        raise SystemExit("--model-config must be a JSON object")
    return v


def cmd_export(a) -> int:
    from . import checkpoint, export
    if a.checkpoint:
        model, ck = checkpoint.load(a.checkpoint)
        training = {**ck["train_config"], "steps_done": ck["step"]}
    else:
        torch.manual_seed(a.seed)
        model = arch_mod.build(a.arch, _parse_json(a.model_config))
        training = {"random_init": True, "seed": a.seed,
                    "note": "randomly initialised test model: untrained, for parity tests only"}
    evaluation = {}
    if a.eval_json:
        with open(a.eval_json) as f:
            evaluation = json.load(f)
    man = export.export(model, a.out, training, evaluation)
    print(json.dumps({"out": a.out, "model_id": man["model_id"], "fingerprint": man["fingerprint"],
                      "parity_max_abs_diff": man["evaluation"]["export_parity_max_abs_diff"]}, indent=1))
    return 0


def cmd_train(a) -> int:
    from . import train
    return train.main(a)


def cmd_eval(a) -> int:
    from . import evaluate
    return evaluate.main(a)


def cmd_validate(a) -> int:
    from .manifest import validate
    errs = validate(a.model_dir)
    for e in errs:
        print("error:", e)
    print("ok" if not errs else f"{len(errs)} problem(s)")
    return 1 if errs else 0


def cmd_info(a) -> int:
    print("architectures:", ", ".join(arch_mod.available()))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m memstream_model")
    sub = p.add_subparsers(dest="cmd", required=True)

    e = sub.add_parser("export", help="write a model directory (graphs, manifest, golden vectors)")
    e.add_argument("--checkpoint", help="trained checkpoint (.pt); without it a random model is built")
    e.add_argument("--arch", default="rmt", help="architecture for a random model")
    e.add_argument("--model-config", default="", help="JSON config for a random model")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--eval-json", help="evaluation report to embed in the manifest")
    e.add_argument("--out", required=True)
    e.set_defaults(fn=cmd_export)

    from .train import add_args as train_args
    t = sub.add_parser("train", help="train a model (time-boxed, resumable)")
    train_args(t)
    t.set_defaults(fn=cmd_train)

    from .evaluate import add_args as eval_args
    v = sub.add_parser("eval", help="bits per byte, recall vs distance, state size")
    eval_args(v)
    v.set_defaults(fn=cmd_eval)

    c = sub.add_parser("validate", help="check a model directory against the contract")
    c.add_argument("model_dir")
    c.set_defaults(fn=cmd_validate)

    from .recover import add_args as recover_args, cmd_recover
    r = sub.add_parser("recover", help="rebuild a training checkpoint from an exported model directory")
    recover_args(r)
    r.set_defaults(fn=cmd_recover)

    from .state_storage import add_args as storage_args, main as storage_main
    s = sub.add_parser("state-storage", help="measure whether memstream may store the state as float16; "
                                             "writes the manifest's state_storage")
    storage_args(s)
    s.set_defaults(fn=storage_main)

    i = sub.add_parser("info", help="list architectures")
    i.set_defaults(fn=cmd_info)

    a = p.parse_args(argv)
    try:
        return a.fn(a)
    except arch_mod.ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
