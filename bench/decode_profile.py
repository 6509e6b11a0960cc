"""Where decode's time goes: onnxruntime's own profiler over one generation (prefill, then N decode
calls at batch B), summed by operator type, and the costliest nodes of the copying kinds (Gather,
Slice, Concat). Generic over the manifest's cache, so a model of either cache layout can be
profiled (docs/performance-runs.md, "Run D").

    model-export/.venv/bin/python bench/decode_profile.py --model models/default --batch 32 --threads 1
"""
import argparse
import collections
import json
import os
import tempfile

import numpy as np

from step_profile import feeds as step_feeds, session


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="models/default")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--out", help="also write the summary as JSON")
    a = p.parse_args()
    with open(os.path.join(a.model, "manifest.json")) as f:
        man = json.load(f)
    feeds = step_feeds(a.model, man, a.batch, "prefill")
    pre = session(os.path.join(a.model, "prefill.onnx"), a.threads)
    out = dict(zip(man["graphs"]["prefill"]["outputs"], pre.run(man["graphs"]["prefill"]["outputs"], feeds)))
    cache = {c["name"]: out[c["name"]] for c in man["cache"]}
    logits = out["logits"]
    with tempfile.TemporaryDirectory() as tmp:
        dec = session(os.path.join(a.model, "decode.onnx"), a.threads, tmp)
        names = man["graphs"]["decode"]["outputs"]
        for _ in range(min(a.new_tokens, man["max_new_tokens"])):
            res = dict(zip(names, dec.run(names, {"token": logits.argmax(-1).astype(np.int64), **cache})))
            logits = res["logits"]
            for c in man["cache"]:
                if c["next"]:
                    cache[c["name"]] = res[c["next"]]
        with open(dec.end_profiling()) as f:
            events = json.load(f)
    by_op, by_node = collections.Counter(), collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            op = e["args"].get("op_name")
            by_op[op] += e["dur"]
            if op in ("Gather", "Slice", "Concat"):
                by_node[f"{op} {e['name'][:-len('_kernel_time')]} -> {e['args'].get('output_type_shape')}"] += e["dur"]
    total = sum(by_op.values())
    print(f"{a.model}: decode at batch {a.batch}, {a.threads} thread(s), {a.new_tokens} tokens: "
          f"{total / 1000:.1f} ms in kernels")
    for op, us in by_op.most_common(12):
        print(f"  {op:22} {us / 1000:8.1f} ms {100 * us / total:5.1f} %")
    print("  costliest copying nodes:")
    for node, us in by_node.most_common(6):
        print(f"    {us / 1000:6.1f} ms  {node[:110]}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"model": a.model, "fingerprint": man["fingerprint"], "batch": a.batch, "threads": a.threads,
                       "new_tokens": a.new_tokens, "kernel_ms": total / 1000,
                       "by_op_ms": {k: v / 1000 for k, v in by_op.most_common()},
                       "copying_nodes_ms": {k: v / 1000 for k, v in by_node.most_common(12)}}, f, indent=1)


if __name__ == "__main__":
    main()
