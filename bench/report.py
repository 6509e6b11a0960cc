"""Markdown tables from bench/results/*.json (stdlib only): what docs/PERFORMANCE.md quotes.

    python3 bench/report.py bench/results > bench/results/REPORT.md
"""
from __future__ import annotations

import json
import os
import statistics
import sys

import paired_step


def load(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def with_repeats(d, name):
    """The results of `name` and of its repeats (`<stem>_repeat*.json`, the same command run again), in
    file-name order: on a noisy machine a target is judged on their median."""
    stem = name[:-len(".json")]
    names = [name] + sorted(f for f in os.listdir(d) if f.startswith(stem + "_repeat") and f.endswith(".json"))
    return [r for r in (load(d, n) for n in names) if r]


def ratio(v):
    """A ratio as the results give them, to three digits: the median of an even number of runs is a
    mean of two, which str() would print with float noise (0.7515000000000001)."""
    return f"{v:.3g}"


def median_of(values, fmt):
    """The median, followed by every run's value when there was more than one run."""
    m = statistics.median(values)
    return fmt(m) if len(values) == 1 else f"{fmt(m)} (median of {', '.join(fmt(v) for v in values)})"


def env_line(r):
    e = r["environment"]
    cpus = f"{e['cpus']} CPUs" + (f" ({e['cpu_model']})" if e.get("cpu_model") else "")
    rev = f" at {e['source_rev']}" if e.get("source_rev") else ""
    return (f"_`{e['command']}`{rev} — {e.get('started_at', '')[:19]}Z, {cpus}, load average "
            f"{e['load_average_at_start']:.1f} at start / {e.get('load_average_at_end', float('nan')):.1f} at end_")


def spinning(r):
    return "" if "ort_spinning" not in r else f", ONNX Runtime spinning {'on' if r['ort_spinning'] else 'off'}"


def engine(r):
    out = [f"### Engine alone (`memstream bench engine`{spinning(r)})", env_line(r), "",
           "| graph | batch | median ms/call (p10-p90) | tokens/s |", "|---|---|---|---|"]
    for kind in ("step", "decode"):
        for x in r[kind]:
            out.append(f"| {kind} | {x['batch']} | {x['median_ms']:.2f} ({x['p10_ms']:.2f}-{x['p90_ms']:.2f}) | {x['tokens_per_s']:.0f} |")
    out += ["", "| new tokens | batch | cached ms | recompute ms | recompute / cached |", "|---|---|---|---|---|"]
    for x in r["cached_vs_recompute"]:
        out.append(f"| {x['new_tokens']} | {x['batch']} | {x['cached']['median_ms']:.1f} | {x['recompute']['median_ms']:.1f} | {x['speedup']:.2f}x |")
    g = r["batched_generation"]
    out += ["", f"Generation, {g['streams']} streams x {g['new_tokens_per_stream']} tokens: batched "
            f"{g['batched']['median_ms']:.0f} ms ({g['batched']['tokens_per_s']:.0f} tokens/s), one stream at a time "
            f"{g['one_stream_at_a_time']['median_ms']:.0f} ms ({g['one_stream_at_a_time']['tokens_per_s']:.0f} tokens/s): "
            f"**{g['speedup']:.2f}x**."]
    if "two_threads_merging" in r:
        out += ["", "| two threads, batch per thread | merge | median ms per round (16 calls) | tokens/s | batches per model call |",
                "|---|---|---|---|---|"]
        for x in r["two_threads_merging"]:
            out.append(f"| {x['batch_per_thread']} | {x['merge']} | {x['median_ms']:.1f} | {x['tokens_per_s']:.0f} | "
                       f"{x.get('mean_batches_per_model_call', 1.0)} |")
    return "\n".join(out)


def python(r, title=""):
    out = [f"### Java engine against Python on the same model (`bench/python_baseline.py`){title}", env_line(r), "",
           f"PyTorch {r['torch']} eager ({r['torch_weights']}), onnxruntime {r['onnxruntime']} (Python), {r['threads']} threads; "
           f"Java figures from `{r.get('java_engine_file', '?')}`.", "",
           "| graph | batch | Java engine tokens/s | PyTorch eager | onnxruntime (Python) | Java / PyTorch | Java / ORT Python |",
           "|---|---|---|---|---|---|---|"]
    for x in r.get("ratio_table", []):
        out.append(f"| {x['graph']} | {x['batch']} | {x['java_tokens_per_s']:.0f} | {x['pytorch_eager_tokens_per_s']:.0f} | "
                   f"{x['onnxruntime_python_tokens_per_s']:.0f} | **{x['java_over_pytorch']:.2f}** | {x['java_over_onnxruntime_python']:.2f} |")
    return "\n".join(out)


def jmh(results):
    """The engine under JMH (bench/jmh.sh): ms per call with JMH's error, tokens/s, the ratios."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import jmh_report
    table = jmh_report.rows(results)
    lines = ["### Engine under JMH (`bench/jmh.sh`: JMH 1.37, 3 x 1 s warm-up, 5 x 2 s measured, 1 fork)", "",
             "| benchmark | batch | ms per call (99.9% error) | tokens/s |", "|---|---|---|---|"]
    for r, (name, batch, ms, tps) in zip(results, table):
        err = r["primaryMetric"].get("scoreError")
        err = f" ± {err:.2f}" if isinstance(err, (int, float)) and err == err else ""
        lines.append(f"| {name} | {batch} | {ms:.2f}{err} | {tps:.0f} |")
    for what, ratio in jmh_report.ratios(table):
        lines.append(f"\n{what[0].upper() + what[1:]}: **{ratio:.2f}x**.")
    return "\n".join(lines)


def ort(rs):
    out = ["### ONNX Runtime session options (`memstream bench ort`)", ""]
    out += ["| pool | optimisation | spinning | step B=1 ms | step B=32 ms | 2 threads x step B=8 ms |", "|---|---|---|---|---|---|"]
    for r in rs:
        for x in r["configurations"]:
            out.append(f"| {x['pool']} | {x['opt_level']} | {x['spinning']} | {x['step_b1']['median_ms']:.2f} | "
                       f"{x['step_b32']['median_ms']:.1f} | {x['two_threads_step_b8']['median_ms']:.1f} |")
    out += [""] + [env_line(r) for r in rs]
    return "\n".join(out)


def steady_latency(r):
    if "steady_latency_p50_ms" not in r:
        return ""
    return f"{r['steady_latency_p50_ms']:.0f} / {r['steady_latency_p99_ms']:.0f}"


def thread_times(r):
    t = r.get("stream_thread_times")
    if not t:
        return ""
    return " / ".join(f"{t.get(k, float('nan')):.2f}" for k in ("process_ratio", "punctuate_ratio", "poll_ratio", "commit_ratio"))


def engine_generation(results, title):
    """Per run: step and decode ms per call, cached decoding against recomputation, batched generation."""
    out = [title, "", "| run | step ms at batch 1 / 32 | decode ms at batch 1 / 8 / 32 | cached / recompute, 64 tokens, batch 1 / 8 | "
           "batched generation speedup |", "|---|---|---|---|---|"]
    for name, r in results:
        step = {x["batch"]: x["median_ms"] for x in r["step"]}
        dec = {x["batch"]: x["median_ms"] for x in r["decode"]}
        cache = {x["batch"]: x["speedup"] for x in r["cached_vs_recompute"] if x["new_tokens"] == 64}
        f = lambda d, k, fmt="{:.2f}": fmt.format(d[k]) if k in d else ""
        out.append(f"| {name} | {f(step, 1)} / {f(step, 32)} | {f(dec, 1, '{:.3f}')} / {f(dec, 8, '{:.3f}')} / {f(dec, 32, '{:.3f}')} | "
                   f"{f(cache, 1)}x / {f(cache, 8)}x | {r['batched_generation']['speedup']:.2f}x |")
    out += [""] + [f"- {name}: {env_line(r)}" for name, r in results]
    return "\n".join(out)


def cpu_cores(r):
    """Cores (CPU seconds per wall second) the measured window took, by thread group (CpuShares.java)."""
    c = r.get("cpu")
    if not c:
        return ""
    g, native = c["cores_by_group"], c.get("unlisted_known_native_cores", {})
    jit = native.get("jit")
    model = g.get("model threads", g.get("model step parts"))  # the older name, before batch.overlap
    broker = g["broker (and other java threads)"] + g.get("broker process", 0.0)  # its own JVM with --broker-jvm
    return (f"{model:.2f} / {g['stream threads']:.2f} / {broker:.2f} / "
            f"{'' if jit is None else f'{jit:.2f}'} / {c.get('process_cores', 0):.2f}")


def e2e(results, title="### End to end (`memstream bench e2e`)"):
    out = [title, "",
           "| run | batch.max.size | model threads | stream threads | gen tokens | chunks/s | absorbed tokens/s | generated tokens/s | mean batch | "
           "latency p50 / p99 ms | e2e / engine at configured batch | e2e / engine at formed batch | "
           "steady absorbed tokens/s | steady e2e / engine at formed batch | start lag s | steady latency p50 / p99 ms | "
           "stream thread process / punctuate / poll / commit | cores: model threads / stream threads / broker / jit / process |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results:
        s = r["settings"]
        conf = r["ratios"].get(f"e2e_over_engine_batch_{s['batch_max_size']}")
        steady_ratio = formed_ratio(r, True)
        steady_tps = r.get("steady_absorbed_tokens_per_s")
        mode = "paced %.0f/s" % s["rate_chunks_per_s"] if s["mode"] == "paced" else "ahead"
        if s.get("batch_overlap") is False:
            mode += ", no overlap"
        if "ahead_warmup" in r:
            mode += ", warm %.0f s" % r["ahead_warmup"]["seconds"]
        out.append(f"| {name} ({mode}{', merge' if s['batch_merge'] else ''}{', fp16' if s['state_dtype'] == 'float16' else ''}) | "
                   f"{s['batch_max_size']} | {s['model_threads']} | {s['stream_threads']} | {s['max_new_tokens']} | {r['chunks_per_s']:.1f} | "
                   f"{r['absorbed_tokens_per_s']:.0f} | {r['generated_tokens_per_s']:.0f} | {r['mean_batch_size']:.1f} | "
                   f"{r['latency_p50_ms']:.0f} / {r['latency_p99_ms']:.0f} | {conf} | {formed_ratio(r, False)} | "
                   f"{'' if steady_tps is None else f'{steady_tps:.0f}'} | {'' if steady_ratio is None else steady_ratio} | "
                   f"{r.get('start_lag_s', '')} | "
                   f"{steady_latency(r)} | {thread_times(r)} | {cpu_cores(r)} |")
    out += [""] + [f"- {name}: {env_line(r)}" for name, r in results]
    return "\n".join(out)


def step_pieces(results, title):
    out = [title, ""]
    out += ["| model threads | batch | piece rows | median ms (p10-p90) | tokens/s | time against the first |",
            "|---|---|---|---|---|---|"]
    for _, r in results:
        for x in r["step"]:
            out.append(f"| {r['threads']} | {x['batch']} | {x['piece_rows'] or 'one per part'} | {x['median_ms']:.2f} "
                       f"({x['p10_ms']:.2f}-{x['p90_ms']:.2f}) | {x['tokens_per_s']:.0f} | {x['time_against_first']:.3f} |")
    out += [""] + [env_line(r) for _, r in results]
    return "\n".join(out)


def history(r):
    out = ["### Cost per chunk against position (`bench/history_cost.py`)", env_line(r), "",
           f"Full-attention alternative: {r['full_attention_model']}, {r['full_attention_parameters']} parameters.", "",
           "| chunk | history tokens | memstream ms | full attention ms | full / memstream |", "|---|---|---|---|---|"]
    rows = r["by_chunk"]
    for x in rows:
        if x["chunk"] in (1, 2, 4, 8, 16, 24, 32, 33, 40, 48) or x is rows[-1]:
            f = "window ended" if x["full_attention_ms"] is None else f"{x['full_attention_ms']:.2f}"
            ratio = "" if x["full_over_memstream"] is None else f"{x['full_over_memstream']:.1f}x"
            out.append(f"| {x['chunk']} | {x['history_tokens']} | {x['memstream_ms']:.2f} | {f} | {ratio} |")
    c = r["cumulative_ms_to_window_end"]
    out += ["", f"Total up to the window's end: memstream {c['memstream']:.0f} ms, full attention {c['full_attention']:.0f} ms."]
    return "\n".join(out)


def state(r):
    out = ["### State size (`memstream bench state`)", env_line(r), "",
           f"{r['state_values']} state values; key `{r['stream_id']}` = {r['key_bytes']} bytes.", "",
           "| chunks read | tokens | fp32 value bytes | fp32 changelog record (key+value) | fp16 value bytes | fp16 changelog record |",
           "|---|---|---|---|---|---|"]
    for x in r["by_length"]:
        out.append(f"| {x['chunks']} | {x['tokens']} | {x['fp32_value_bytes']} | {x['fp32_changelog_record_bytes']} | "
                   f"{x['fp16_value_bytes']} | {x['fp16_changelog_record_bytes']} |")
    e = r["fp16_error"]
    out += ["", f"float16 storage over {e['chunks']} chunks: bits per byte differ by at most {e['max_abs_diff_bits_per_byte']:.1e} "
            f"(mean {e['mean_bits_per_byte_fp32']:.4f} fp32, {e['mean_bits_per_byte_fp16']:.4f} fp16)."]
    if "codec" in r:  # since run R: the stream thread's time to encode and decode one memory
        c = r["codec"]
        times = "; ".join(f"{x['dtype']} {x['encode_us']:.1f} / {x['decode_us']:.1f} us" for x in c["by_dtype"])
        out += ["", f"One memory through the codec, encode / decode (median of {c['rounds']} rounds of "
                f"{c['calls_per_round']} calls): {times}."]
    return "\n".join(out)


# Issue 6's targets, each read from the JSON files of one run: (what, threshold) and how to read it.
GEN_TARGET = 5.0          # batched generation across 32 streams against one stream at a time
CACHE_TARGET = 5.0        # cached decoding against recomputation, 64 new tokens
JAVA_TARGET = 1.5         # Java step against PyTorch eager at batch 32, same threads
E2E_TARGET = 0.8          # end-to-end absorb rate against the engine alone at the same batch
LATENCY_TARGET_MS = 250   # p99 chunk-to-output latency at half the peak rate
STATE_TARGET_BYTES = 16384
STATE_GROWTH_BYTES = 16   # what the varint counters in a state record may add over a stream's life


def met(ok):
    return "yes" if ok else "**no**"


def formed_ratio(r, steady):
    """The end-to-end / engine-alone ratio at the batch the processor formed (the configured one if
    no other was measured)."""
    return at_formed_batch(r, "steady_e2e_over_engine_batch_" if steady else "e2e_over_engine_batch_")


def at_formed_batch(r, prefix):
    """ratios[prefix + batch] at the batch the processor formed (the configured one if no other was
    measured), or None."""
    ratios = r["ratios"]
    configured = f"{prefix}{r['settings']['batch_max_size']}"
    formed = [v for k, v in ratios.items() if k.startswith(prefix) and k != configured]
    return formed[0] if formed else ratios.get(configured)


def step32(r):
    """A Python baseline's ratio-table row for step at batch 32, or None."""
    return next((x for x in r.get("ratio_table", []) if x["graph"] == "step" and x["batch"] == 32), None)


def java_row(d):
    """Judged on the paired rounds (bench/paired-step.sh) when the run has them, else on the median of
    the Python baseline and its repeats against the engine runs before them."""
    paired = load(d, "paired_step.json")
    if paired:
        parts, oks = [], []
        for policy, p in paired["policies"].items():
            b = next((x for x in p["batches"] if x["batch"] == 32), None)
            if b:
                ok = b["median_java_over_pytorch"] >= JAVA_TARGET
                parts.append(f"{'both ' + policy}: {b['median_java_over_pytorch']:.2f}x, median of {len(b['rounds'])} "
                             f"paired rounds ({b['min_java_over_pytorch']:.2f}-{b['max_java_over_pytorch']:.2f}x; "
                             f"{b['median_java_tokens_per_s']:.0f} against {b['median_pytorch_eager_tokens_per_s']:.0f} "
                             f"tokens/s), {met(ok)}")
                oks.append(ok)
        return parts, oks
    parts, oks = [], []
    for name, label in (("python_baseline.json", "both spinning"), ("python_baseline_omp_passive.json", "both passive")):
        xs = [x for x in (step32(r) for r in with_repeats(d, name)) if x]
        if xs:
            ratios = [x["java_over_pytorch"] for x in xs]
            ok = statistics.median(ratios) >= JAVA_TARGET
            x = xs[0]
            parts.append(f"{label}: {median_of(ratios, lambda v: f'{v:.2f}x')} (first: {x['java_tokens_per_s']:.0f} "
                         f"against {x['pytorch_eager_tokens_per_s']:.0f} tokens/s), {met(ok)}")
            oks.append(ok)
    return parts, oks


# The end-to-end results, in the order the report prints them, each with the label the end-to-end
# target judges it under (None: printed in the table, not judged). A new configuration goes here once.
E2E_RUNS = [("e2e_batch32", "defaults"), ("e2e_batch32_warm", "defaults, warm"),
            # before state.dtype=auto the default stored float32, and run-all ran float16 beside it
            ("e2e_batch32_warm_fp16", "float16 state, warm"),
            ("e2e_batch32_warm_fp32", "float32 state, warm"), ("e2e_tuned", "tuned"),
            ("e2e_batch1", "batch.max.size=1"), ("e2e_batch1_warm", "batch.max.size=1, warm"),
            ("e2e_batch1_gen", "batch.max.size=1, generating"),
            ("e2e_batch32_gen", "defaults, generating"), ("e2e_batch32_gen_warm", "defaults, generating, warm"),
            ("e2e_tuned_gen", None), ("e2e_paced_half_peak", None), ("e2e_paced_half_peak_repeat", None),
            ("e2e_paced_half_peak_one_warmup_chunk", None), ("e2e_2threads", None), ("e2e_2threads_merge", None),
            ("e2e_smoke", None)]


def e2e_row(d):
    parts, oks = [], []
    for name, label in ((n + ".json", label) for n, label in E2E_RUNS if label):
        runs = with_repeats(d, name)
        if runs:
            steadies = [formed_ratio(r, True) for r in runs]
            steady_ok = None not in steadies and statistics.median(steadies) >= E2E_TARGET
            wholes = [formed_ratio(r, False) for r in runs]
            whole_ok = statistics.median(wholes) >= E2E_TARGET
            steady = median_of(steadies, ratio) if None not in steadies else None
            batch = statistics.median(r["mean_batch_size"] for r in runs)
            parts.append(f"{label}: steady {steady}, whole run {median_of(wholes, ratio)} (formed batch {batch:.0f}), "
                         f"{met(steady_ok)} steady, {met(whole_ok)} whole{factors(runs)}{start_lag(runs)}")
            oks.append(steady_ok and whole_ok)
    return parts, oks


def factors(runs):
    """The whole-run ratio's two factors, medians over the runs (results since run Q carry them): the
    model's cores over the engine alone's, and the tokens a model core absorbed over the engine alone's."""
    share = [at_formed_batch(r, "model_cores_e2e_over_engine_batch_") for r in runs]
    per_core = [at_formed_batch(r, "tokens_per_model_core_e2e_over_engine_batch_") for r in runs]
    if None in share or None in per_core:
        return ""
    return (f" (the model had {statistics.median(share):.3g} of the engine alone's cores and absorbed "
            f"{statistics.median(per_core):.3g} of its tokens per core)")


def start_lag(runs):
    """The median seconds a run's start left it behind its own steady rate (results since run U carry
    them), with the run's length: what the start cost, apart from the ratio it lowers."""
    lags = [r["start_lag_s"] for r in runs if "start_lag_s" in r]
    if not lags:
        return ""
    return (f"; its start cost {statistics.median(lags):.2g} s against its steady rate in a "
            f"{statistics.median(r['seconds'] for r in runs):.0f}-s run")


def engine_rows(d):
    gen, cache = ([], []), ([], [])
    for name, label in (("engine.json", "spinning off"), ("engine_spinning.json", "spinning on")):
        r = load(d, name)
        if not r:
            continue
        g = r["batched_generation"]
        gen[0].append(f"{label}: {g['speedup']:.2f}x ({g['streams']} streams x {g['new_tokens_per_stream']} tokens), "
                      f"{met(g['speedup'] >= GEN_TARGET)}")
        gen[1].append(g["speedup"] >= GEN_TARGET)
        rows = [x for x in r["cached_vs_recompute"] if x["new_tokens"] == 64]
        if rows:
            cache[0].append(f"{label}: " + ", ".join(f"{x['speedup']:.2f}x at batch {x['batch']}" for x in rows)
                            + f", {met(all(x['speedup'] >= CACHE_TARGET for x in rows))}")
            cache[1].append(all(x["speedup"] >= CACHE_TARGET for x in rows))
    return gen, cache


def latency_row(d):
    runs = with_repeats(d, "e2e_paced_half_peak.json")
    if not runs:
        return [], []
    ms = lambda v: f"{v:.0f}"
    steadies, wholes = [r["steady_latency_p99_ms"] for r in runs], [r["latency_p99_ms"] for r in runs]
    steady_ok = statistics.median(steadies) <= LATENCY_TARGET_MS
    whole_ok = statistics.median(wholes) <= LATENCY_TARGET_MS
    return ([f"steady p99 {median_of(steadies, ms)} ms, {met(steady_ok)}; whole run p99 {median_of(wholes, ms)} ms, "
             f"{met(whole_ok)} (at {runs[0]['chunks_per_s']:.1f} chunks/s)"],
            [steady_ok and whole_ok])


def state_row(d):
    r = load(d, "state.json")
    if not r:
        return [], []
    sizes = [x["fp32_value_bytes"] for x in r["by_length"]]
    lengths = [x["chunks"] for x in r["by_length"]]
    ok = max(sizes) <= STATE_TARGET_BYTES and max(sizes) - min(sizes) <= STATE_GROWTH_BYTES
    return ([f"float32 {min(sizes)}-{max(sizes)} bytes over {min(lengths)}-{max(lengths)} chunks, {met(ok)}"], [ok])


def targets(d):
    """Issue 6's targets against the results in d: one row each, 'all' only when every measured
    configuration meets it. Rows with no result file are left out."""
    gen, cache = engine_rows(d)
    rows = [(f"Java `step` >= {JAVA_TARGET}x PyTorch eager at batch 32", java_row(d)),
            (f"end-to-end absorb >= {E2E_TARGET} of the engine alone at the same batch", e2e_row(d)),
            (f"batched generation (32 streams) >= {GEN_TARGET:.0f}x one stream at a time", gen),
            (f"cached decoding >= {CACHE_TARGET:.0f}x recomputation, 64 new tokens", cache),
            (f"p99 chunk-to-output latency <= {LATENCY_TARGET_MS} ms at half the peak rate", latency_row(d)),
            (f"state per stream constant and <= {STATE_TARGET_BYTES // 1024} KB", state_row(d))]
    out = ["### Targets (issue 6)", "", "| target | measured | met in every configuration |", "|---|---|---|"]
    for what, (parts, oks) in rows:
        if parts:
            out.append(f"| {what} | {'; '.join(parts)} | {met(all(oks))} |")
    return "\n".join(out)


def main(d):
    parts = [targets(d)]
    for name in ("engine.json", "engine_spinning.json"):
        r = load(d, name)
        if r:
            parts.append(engine(r))
    r = load(d, "jmh_engine.json")
    if r:
        parts.append(jmh(r))
    r = load(d, "python_baseline.json")
    if r:
        parts.append(python(r))
    r = load(d, "python_baseline_omp_passive.json")
    if r:
        parts.append(python(r, ", PyTorch with OMP_WAIT_POLICY=PASSIVE"))
    r = load(d, "paired_step.json")
    if r:
        parts.append("### Java engine against PyTorch eager, `step` in paired rounds (`bench/paired-step.sh`)\n\n"
                     + paired_step.markdown(r))
    rs = [x for x in (load(d, n) for n in ("ort_options.json", "ort_options_global_spin.json", "ort_options_global_nospin.json")) if x]
    if rs:
        parts.append(ort(rs))
    e = [(n, load(d, n + ".json")) for n, _ in E2E_RUNS]
    e = [(n, r) for n, r in e if r]
    if e:
        parts.append(e2e(e))
    for sub, title in (("jit", "JIT tiers (`bench/jit-tiers.sh`)"), ("overlap", "batch.overlap on and off (`bench/overlap.sh`)"),
                       ("decode-threads", "decode on one thread or two (`bench/decode-threads.sh`)"),
                       ("step-pieces", "step pieces (`bench/step-pieces.sh`)")):
        path = os.path.join(d, sub)
        if os.path.isdir(path):
            runs = [(n[:-5], load(path, n)) for n in sorted(os.listdir(path)) if n.endswith(".json")]
            ends = [(n, r) for n, r in runs if r.get("benchmark") == "e2e"]
            if ends:
                parts.append(e2e(ends, "### End to end, " + title))
            engines = [(n, r) for n, r in runs if r.get("benchmark") == "engine"]
            if engines:
                parts.append(engine_generation(engines, "### Engine generation paths, " + title))
            pieces = [(n, r) for n, r in runs if r.get("benchmark") == "step_pieces"]
            if pieces:
                parts.append(step_pieces(pieces, "### Engine step, " + title))
    tuning = os.path.join(d, "tuning")
    if os.path.isdir(tuning):
        t = [(n[:-5], load(tuning, n)) for n in sorted(os.listdir(tuning)) if n.endswith(".json")]
        if t:
            parts.append(e2e(t, "### End to end, one setting at a time (`bench/e2e-tuning.sh`)"))
    r = load(d, "history_cost.json")
    if r:
        parts.append(history(r))
    r = load(d, "state.json")
    if r:
        parts.append(state(r))
    print("\n\n".join(parts))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
