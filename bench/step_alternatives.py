"""Two ways onnxruntime could run `step` faster than the graph as exported, measured and not adopted
(docs/performance-runs.md, "Run E"):
  1. onnxruntime's fused MultiHeadAttention (com.microsoft) against the plain ops the exporter
     writes (MatMul, scale, additive mask, Softmax, MatMul, transposes), one attention layer at the
     default model's shapes;
  2. dynamic int8 quantization of step.onnx's MatMuls against the float graph: time per call and
     how far the outputs move;
  3. (Run I) onnxruntime's transformer optimizer (`onnxruntime.transformers.optimizer`, BERT
     fusions: SkipLayerNormalization, BiasGelu, LayerNormalization) applied offline to step.onnx;
  4. (Run I) `session.set_denormal_as_zero` on the exported graph.
Medians over many calls; 1-2 the two sides alternated twice, 3-4 in 15 alternating rounds.
Run I measured 3-4 at a step part's shape: --batch 8 --threads 1.

    model-export/.venv/bin/python bench/step_alternatives.py --model models/default --batch 32 --threads 2
"""
import argparse
import json
import os
import tempfile
import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

from step_profile import feeds, session as profiled_session


def session(model, threads):
    """A session on a graph file or an in-memory onnx ModelProto."""
    return profiled_session(model if isinstance(model, str) else model.SerializeToString(), threads)


def median_ms(s, x, calls):
    for _ in range(5):
        out = s.run(None, x)
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        s.run(None, x)
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000), out


def attention_graphs(B, S, D, H):
    hd = D // H
    io = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [B, S, D]) for n in "qkv"]
    bias = helper.make_tensor_value_info("bias", TensorProto.FLOAT, [B, 1, S, S])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [B, S, D])
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    fused = helper.make_model(helper.make_graph(
        [helper.make_node("MultiHeadAttention", ["q", "k", "v", "", "", "bias"], ["y"], domain="com.microsoft",
                          num_heads=H)], "fused", io + [bias], [y]), opset_imports=opsets, ir_version=8)
    consts = [helper.make_tensor("heads", TensorProto.INT64, [4], [B, S, H, hd]),
              helper.make_tensor("merged", TensorProto.INT64, [3], [B, S, D]),
              helper.make_tensor("scale", TensorProto.FLOAT, [], [1 / np.sqrt(hd)])]
    n = helper.make_node
    nodes = [n("Reshape", ["q", "heads"], ["q4"]), n("Transpose", ["q4"], ["qt"], perm=[0, 2, 1, 3]),
             n("Reshape", ["k", "heads"], ["k4"]), n("Transpose", ["k4"], ["kt"], perm=[0, 2, 3, 1]),
             n("Reshape", ["v", "heads"], ["v4"]), n("Transpose", ["v4"], ["vt"], perm=[0, 2, 1, 3]),
             n("MatMul", ["qt", "kt"], ["s0"]), n("Mul", ["s0", "scale"], ["s1"]), n("Add", ["s1", "bias"], ["s2"]),
             n("Softmax", ["s2"], ["p"], axis=-1), n("MatMul", ["p", "vt"], ["o"]),
             n("Transpose", ["o"], ["ot"], perm=[0, 2, 1, 3]), n("Reshape", ["ot", "merged"], ["y"])]
    plain = helper.make_model(helper.make_graph(nodes, "plain", io + [bias], [y], initializer=consts),
                              opset_imports=opsets[:1], ir_version=8)
    return plain, fused


def attention(man, batch, threads, calls):
    cfg = man["training"]["model"]  # the architecture's config as model-export wrote it
    M, C, D, H = man["memory_slots"], man["chunk_length"], cfg["d_model"], cfg["n_heads"]
    S = M + C
    plain, fused = attention_graphs(batch, S, D, H)
    rng = np.random.default_rng(0)
    x = {n: rng.standard_normal((batch, S, D)).astype(np.float32) for n in "qkv"}
    i, j = np.arange(S)[:, None], np.arange(S)[None]
    x["bias"] = np.ascontiguousarray(np.broadcast_to(
        np.where((j < M) | ((i >= M) & (j <= i)), 0, -1e9).astype(np.float32), (batch, 1, S, S)))
    res = {"plain_ms": [], "fused_ms": []}
    for _ in range(2):
        for name, g in (("plain", plain), ("fused", fused)):
            ms, out = median_ms(session(g, threads), x, calls)
            res[name + "_ms"].append(round(ms, 3))
            res[name + "_out"] = out[0]
    res["max_abs_diff"] = float(np.abs(res.pop("plain_out") - res.pop("fused_out")).max())
    return res


def int8(model, man, batch, threads, calls):
    from onnxruntime.quantization import QuantType, quantize_dynamic
    x = feeds(model, man, batch)
    names = man["graphs"]["step"]["outputs"]
    res = {"float_ms": [], "int8_ms": []}
    with tempfile.TemporaryDirectory() as tmp:
        q = os.path.join(tmp, "step_int8.onnx")
        quantize_dynamic(os.path.join(model, "step.onnx"), q, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
        outs = {}
        for _ in range(2):
            for name, path in (("float", os.path.join(model, "step.onnx")), ("int8", q)):
                s = session(path, threads)
                ms, out = median_ms(s, x, calls)
                res[name + "_ms"].append(round(ms, 3))
                outs[name] = dict(zip([o.name for o in s.get_outputs()], out))
    for o in names:
        res[f"max_abs_diff_{o}"] = float(np.abs(outs["float"][o] - outs["int8"][o]).max())
    return res


def alternating(sessions, x, rounds=15, calls=10):
    """Median ms per call of each session, their turns alternating (order reversed every other
    round), and the median over rounds of each one's time against the first's."""
    for s in sessions.values():
        median_ms(s, x, 20)
    per = {k: [] for k in sessions}
    items = list(sessions.items())
    for r in range(rounds):
        for k, s in (items if r % 2 == 0 else items[::-1]):
            per[k].append(median_ms(s, x, calls)[0])
    first = items[0][0]
    return {k: {"median_ms": round(float(np.median(v)), 3),
                "time_against_first": round(float(np.median([a / b for a, b in zip(v, per[first])])), 3)}
            for k, v in per.items()}


def outputs_apart(a, b, x):
    return {o.name: float(np.abs(u - w).max()) for o, u, w in zip(a.get_outputs(), a.run(None, x), b.run(None, x))}


def fused(model, man, batch, threads):
    from onnxruntime.transformers import optimizer
    d = json.loads(man["training"]["model_config"])
    opt = optimizer.optimize_model(os.path.join(model, "step.onnx"), model_type="bert", num_heads=d["n_heads"],
                                   hidden_size=d["d_model"], opt_level=0)
    x = feeds(model, man, batch)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "step_fused.onnx")
        opt.save_model_to_file(path)
        s = {"exported": session(os.path.join(model, "step.onnx"), threads), "fused": session(path, threads)}
        res = alternating(s, x)
        res["fusions"] = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
        res["max_abs_diff"] = outputs_apart(s["exported"], s["fused"], x)
    return res


def denormals_as_zero(model, man, batch, threads):
    import onnxruntime as rt
    x = feeds(model, man, batch)
    so = rt.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.add_session_config_entry("session.set_denormal_as_zero", "1")
    s = {"exported": session(os.path.join(model, "step.onnx"), threads),
         "denormal_as_zero": rt.InferenceSession(os.path.join(model, "step.onnx"), so, providers=["CPUExecutionProvider"])}
    res = alternating(s, x)
    res["max_abs_diff"] = outputs_apart(s["exported"], s["denormal_as_zero"], x)
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="models/default")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--calls", type=int, default=100)
    p.add_argument("--out")
    p.add_argument("--only", choices=["all", "run-e", "run-i"], default="all",
                   help="run-e: 1-2 (attention layer, int8); run-i: 3-4 (offline fusions, denormals)")
    a = p.parse_args()
    with open(os.path.join(a.model, "manifest.json")) as f:
        man = json.load(f)
    result = {"model": a.model, "fingerprint": man["fingerprint"], "batch": a.batch, "threads": a.threads,
              "onnxruntime": ort.__version__}
    if a.only in ("all", "run-e"):
        result["attention_layer"] = attention(man, a.batch, a.threads, a.calls)
        result["step_int8"] = int8(a.model, man, a.batch, a.threads, max(10, a.calls // 4))
    if a.only in ("all", "run-i"):
        result["step_transformer_fusions"] = fused(a.model, man, a.batch, a.threads)
        result["step_denormal_as_zero"] = denormals_as_zero(a.model, man, a.batch, a.threads)
    print(json.dumps(result, indent=1))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
