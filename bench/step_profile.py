"""Where `step`'s time goes: onnxruntime's own profiler over repeated step calls at batch B, summed by
operator type and by the module path of the node (docs/performance-runs.md, "Run E").

    model-export/.venv/bin/python bench/step_profile.py --model models/default --batch 32 --threads 2
"""
import argparse
import collections
import json
import os
import tempfile

import numpy as np


def feeds(model, man, batch, graph="step"):
    """The first memory for every row and a full chunk of random printable bytes, as `graph` takes them."""
    rng = np.random.default_rng(0)
    out = {}
    for s in man["state"]:
        first = np.fromfile(os.path.join(model, s["initial"]), dtype="<f4").reshape(s["shape"])
        out[s["name"]] = np.ascontiguousarray(np.broadcast_to(first, (batch, *s["shape"])))
    C = man["chunk_length"]
    out["tokens"] = rng.integers(32, 127, (batch, C)).astype(np.int64)
    out["lengths"] = np.full(batch, C, np.int64)
    return {k: v for k, v in out.items() if k in man["graphs"][graph]["inputs"]}


def session(path, threads, profile_dir=None):
    """An onnxruntime CPU session as memstream's (intra-op pool, spinning off) on a graph file or a
    serialized graph; profiled into profile_dir if given."""
    import onnxruntime as ort  # here, so the helpers import without it (bench/tests)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")  # memstream's default
    if profile_dir:
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(profile_dir, "graph")
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def node_counts(path):
    """Nodes of the graph as exported and after onnxruntime's extended optimisations (the level below
    `all`, whose output would carry this CPU's layout transforms): how many operators a call runs."""
    import onnx
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as tmp:
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        so.optimized_model_filepath = os.path.join(tmp, "optimised.onnx")
        ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        return {"exported": len(onnx.load(path).graph.node),
                "after_extended_optimisation": len(onnx.load(so.optimized_model_filepath).graph.node)}


def module(node):
    """blocks.0/attn for /blocks.0/attn/MatMul; the first path part for nodes outside blocks."""
    parts = node.strip("/").split("/")
    return "/".join(parts[:2]) if parts[0].startswith(("blocks.", "mem_blocks.")) and len(parts) > 2 else parts[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="models/default")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--calls", type=int, default=20)
    p.add_argument("--out", help="also write the summary as JSON")
    a = p.parse_args()
    with open(os.path.join(a.model, "manifest.json")) as f:
        man = json.load(f)
    x = feeds(a.model, man, a.batch)
    with tempfile.TemporaryDirectory() as tmp:
        s = session(os.path.join(a.model, "step.onnx"), a.threads, tmp)
        for _ in range(a.calls):
            s.run(None, x)
        with open(s.end_profiling()) as f:
            events = json.load(f)
    by_op, by_module = collections.Counter(), collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            by_op[e["args"].get("op_name")] += e["dur"]
            by_module[module(e["name"][:-len("_kernel_time")])] += e["dur"]
    total = sum(by_op.values())
    nodes = node_counts(os.path.join(a.model, "step.onnx"))
    per_call = lambda us: us / a.calls / 1000
    print(f"{a.model}: step at batch {a.batch}, {a.threads} thread(s): {per_call(total):.1f} ms per call in kernels; "
          f"{nodes['exported']} nodes as exported, {nodes['after_extended_optimisation']} after extended optimisation")
    for op, us in by_op.most_common(14):
        print(f"  {op:22} {per_call(us):7.2f} ms {100 * us / total:5.1f} %")
    print("  by module:")
    for m, us in by_module.most_common(10):
        print(f"    {m:22} {per_call(us):7.2f} ms {100 * us / total:5.1f} %")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"model": a.model, "fingerprint": man["fingerprint"], "batch": a.batch, "threads": a.threads,
                       "calls": a.calls, "kernel_ms_per_call": per_call(total), "nodes": nodes,
                       "by_op_ms_per_call": {k: per_call(v) for k, v in by_op.most_common()},
                       "by_module_ms_per_call": {k: per_call(v) for k, v in by_module.most_common()}}, f, indent=1)


if __name__ == "__main__":
    main()
