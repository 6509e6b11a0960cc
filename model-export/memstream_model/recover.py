"""Rebuild a training checkpoint from an exported model directory.

Training checkpoints live under model-export/runs/, which is not committed; a new machine has only
the exported graphs. Their initializers are the model's weights, mostly under anonymous names
(`onnx::MatMul_1290`, a transposed Linear weight; `onnx::Mul_1287`, one row of a token-shift
mix). Which parameter each one is depends only on the code that exported the graphs, so:

1. the map (`initializer_map`, run with the exporting commit's code on PYTHONPATH) builds the same
   architecture with a distinct random value in every weight, exports it, and finds the parameter
   behind each weight a node reads, by value: as it is, transposed, reshaped, or one row of it;
2. `recover` (run with today's code) fills a model from the committed graphs by that map,
   takes the first memory from `initial_state/`, checks the model against the committed golden
   step vectors, and writes a checkpoint that `train --init-from` and `export` accept. Training-only
   weights (rmt's recall decoder) are not in any graph and start fresh.

rmt's graphs hold every weight as it is; fam's and infinity's fold some into constants (a sum of
two parameters), which this refuses with the initializer it could not place.

    git worktree add /tmp/exported <commit of the export>
    python -m memstream_model recover --model ../models/default --exported-code /tmp/exported/model-export \
        --out runs/default-recovered/ckpt.pt
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Dict, List

import numpy as np
import torch

GRAPHS = ("step", "prefill", "decode")


def _manifest(model_dir: str) -> dict:
    with open(os.path.join(model_dir, "manifest.json")) as f:
        return json.load(f)


def initializer_map(model_dir: str) -> Dict[str, List]:
    """{graph: [[node index, input slot, op type, parameter, "id" | "T" | "reshape" | "row", row], ...]}
    for the code on the import path. Weights are found by the node that reads them, not by
    initializer name: the exporter merges initializers of equal value (the zero biases of an
    untrained model), so names differ between two exports of one code while the nodes do not."""
    import onnx
    from onnx import numpy_helper

    # absolute imports: this runs with the exporting commit's memstream_model on the path
    from memstream_model.arch import build
    from memstream_model.export import export_graphs
    man = _manifest(model_dir)
    model = build(man["architecture"], json.loads(man["training"]["model_config"]))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    params = {n: p.detach().numpy() for n, p in model.named_parameters()}
    found: Dict[str, List] = {}
    with tempfile.TemporaryDirectory() as tmp:
        export_graphs(model, tmp)
        for g in GRAPHS:
            graph = onnx.load(os.path.join(tmp, f"{g}.onnx")).graph
            inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
            found[g] = []
            for n, node in enumerate(_weight_readers(graph)):
                for slot, name in enumerate(node.input):
                    a = inits.get(name)
                    if a is None or a.dtype != np.float32 or a.size < 2:
                        continue  # not an initializer, or a constant of the graph itself (a scale, a fill)
                    hit = _find(a, params)
                    if hit is None:
                        raise RuntimeError(f"{g}.onnx initializer {name} {list(a.shape)} is no parameter, "
                                           "transposed parameter or parameter row")
                    found[g].append([n, slot, node.op_type] + hit)
    return found


def _weight_readers(graph):
    """The graph's nodes without the Identity copies the exporter adds for merged initializers,
    each node's inputs resolved through them to the initializer they copy."""
    inits = {i.name for i in graph.initializer}
    alias = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Identity" and n.input[0] in inits}
    nodes = []
    for node in graph.node:
        if node.op_type == "Identity" and node.output[0] in alias:
            continue
        copy = type(node)()
        copy.CopyFrom(node)
        copy.input[:] = [alias.get(i, i) for i in node.input]
        nodes.append(copy)
    return nodes


def _find(a: np.ndarray, params: Dict[str, np.ndarray]):
    for name, p in params.items():
        if p.shape == a.shape and np.array_equal(p, a):
            return [name, "id", None]
        if p.size == a.size and np.array_equal(p.reshape(-1), a.reshape(-1)):
            return [name, "reshape", None]
        if p.ndim == 2 and p.T.shape == a.shape and np.array_equal(p.T, a):
            return [name, "T", None]
        if p.ndim == 2 and a.ndim == 1 and p.shape[1] == a.shape[0]:
            for r in range(p.shape[0]):
                if np.array_equal(p[r], a):
                    return [name, "row", r]
    return None


def recover(model_dir: str, mapping: Dict[str, List]):
    """The model with every weight the graphs hold; raises if a parameter stays unfilled or the
    model disagrees with the committed golden step vectors beyond the export tolerance."""
    import onnx
    from onnx import numpy_helper

    from .arch import build
    from .export import ATOL
    man = _manifest(model_dir)
    model = build(man["architecture"], json.loads(man["training"]["model_config"]))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    filled = set()
    for g in GRAPHS:
        graph = onnx.load(os.path.join(model_dir, f"{g}.onnx")).graph
        inits = {i.name: i for i in graph.initializer}
        nodes = _weight_readers(graph)
        for n, slot, op, param, kind, row in mapping[g]:
            node = nodes[n] if n < len(nodes) else None
            if node is None or node.op_type != op or slot >= len(node.input) or node.input[slot] not in inits:
                raise RuntimeError(f"{g}.onnx node {n} is not the {op} reading {param}: "
                                   "was the model exported by other code?")
            value = torch.from_numpy(numpy_helper.to_array(inits[node.input[slot]]).copy())
            if kind == "id":
                state[param] = value
            elif kind == "T":
                state[param] = value.T.contiguous()
            elif kind == "reshape":
                state[param] = value.reshape(state[param].shape)
            else:
                state[param][row] = value
            filled.add(param)
    for spec, entry in zip(model.state_specs(), man["state"]):
        first = np.fromfile(os.path.join(model_dir, entry["initial"]), dtype="<f4").reshape(spec.shape)
        param = _initial_state_parameter(model, spec.name)
        state[param] = torch.from_numpy(first.copy()).reshape(state[param].shape)
        filled.add(param)
    for name, tied in _tied(model):
        state[tied] = state[name].clone()  # one copy in the graphs, two names in the state dict
        filled.add(tied)
    in_graphs = set(dict(model.named_parameters())) - set(_training_only(model))
    missing = sorted(in_graphs - filled)
    if missing:
        raise RuntimeError(f"parameters not found in the graphs: {missing}")
    model.load_state_dict(state)
    model.eval()
    diff = golden_step_diff(model, model_dir)
    if not diff < ATOL:
        raise RuntimeError(f"recovered model disagrees with {model_dir}/golden by {diff:.3g}")
    return model, diff


def _initial_state_parameter(model, state_name: str) -> str:
    """The parameter init_state() expands into the named state tensor (rmt: memory_init)."""
    with torch.no_grad():
        first = model.init_state(1)
    names = [s.name for s in model.state_specs()]
    target = first[names.index(state_name)][0]
    for name, p in model.named_parameters():
        if p.shape == target.shape and torch.equal(p.detach(), target):
            return name
    raise RuntimeError(f"no parameter holds the initial {state_name}")


def _tied(model):
    """(parameter name, other state-dict name of the same tensor) pairs."""
    seen, out = {}, []
    for name, t in model.state_dict(keep_vars=True).items():
        if id(t) in seen:
            out.append((seen[id(t)], name))
        else:
            seen[id(t)] = name
    return out


def _training_only(model) -> List[str]:
    return [n for n, _ in model.named_parameters() if n.startswith(("recall_pos", "recall_block."))]


def golden_step_diff(model, model_dir: str) -> float:
    """Largest difference between the model's step and the committed golden step cases."""
    with open(os.path.join(model_dir, "golden", "cases.json")) as f:
        cases = json.load(f)["cases"]

    def read(spec):
        return torch.from_numpy(np.fromfile(os.path.join(model_dir, "golden", spec["file"]),
                                            dtype=spec["dtype"]).reshape(spec["shape"]))
    names = [s.name for s in model.state_specs()]
    worst, seen = 0.0, 0
    for c in cases:
        if c.get("graph") != "step":
            continue
        state = tuple(read(c["inputs"][n]) for n in names)
        lengths = read(c["inputs"]["lengths"])
        with torch.no_grad():
            logits, nxt = model.step(state, read(c["inputs"]["tokens"]), lengths)
        ref = read(c["outputs"]["logits"])
        for r, n in enumerate(lengths.tolist()):  # padded positions' logits are unspecified
            worst = max(worst, float((logits[r, :n] - ref[r, :n]).abs().max()))
        for n, t in zip(names, nxt):
            worst = max(worst, float((t - read(c["outputs"]["next_" + n])).abs().max()))
        seen += 1
    if not seen:
        raise RuntimeError(f"{model_dir}/golden has no step case")
    return worst


def cmd_recover(a) -> int:
    from . import checkpoint
    code = os.path.abspath(a.exported_code or os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # the map comes from the exporting code, which need not have this module: run this file as a
    # script there
    out = subprocess.run([sys.executable, os.path.abspath(__file__), os.path.abspath(a.model)], cwd=code,
                         env={**os.environ, "PYTHONPATH": code}, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"mapping the initializers with the code in {code} failed:\n{out.stderr[-2000:]}")
    model, diff = recover(a.model, json.loads(out.stdout.strip().splitlines()[-1]))
    man = _manifest(a.model)
    training = {k: v for k, v in man["training"].items() if k not in ("model", "steps_done")}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    checkpoint.save(a.out, model, {**training, "recovered_from": a.model},
                    int(man["training"].get("steps_done", 0)))
    print(json.dumps({"out": a.out, "golden_step_max_abs_diff": diff}))
    return 0


def add_args(p) -> None:
    p.add_argument("--model", required=True, help="exported model directory")
    p.add_argument("--exported-code", help="model-export directory of the code that exported it "
                                           "(default: this one)")
    p.add_argument("--out", required=True, help="checkpoint to write")


if __name__ == "__main__":  # the map, printed as JSON (cmd_recover runs this with the exporting code)
    sys.path.pop(0)  # this file's folder: its modules must not shadow top-level names
    print(json.dumps(initializer_map(sys.argv[1])))
