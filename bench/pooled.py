"""The judged end-to-end configurations pooled over several result directories: each configuration's
runs (`NAME.json` and `NAME_repeat*.json` in every directory given) judged on their median, as
bench/report.py judges one directory's. What a standing of more runs than one directory holds is read
from (run W's medians of ten: `full/` and `confirm/`).

Per configuration: the ratio to the engine alone at the batch the processor formed (median, every
run, how many at or above the target), the steady ratio's median, the ranges of the ratio's two
factors, of the stream thread's CPU a chunk, of the start's lag, of the run's length and of the
absorbed rate and its median, the generated rate's median; the medians of the cores of the model, the stream thread, the broker, Kafka's client
network threads and the rest (collector, compilers, RocksDB, ONNX Runtime's pools); and, where the
formed batch is not the configured one, the engine alone's rate at the formed batch over its rate at
the configured one. The paced run: every p99.

    python3 bench/pooled.py bench/results/run-w/full bench/results/run-w/confirm
"""
import os
import statistics
import sys

import ab_table
import report

COLUMNS = ("configuration | runs | ratio (runs) | at or above the target | steady | model's cores over the engine "
           "alone's | tokens per model core over the engine alone's | stream thread, us a chunk | start lag, s | "
           "run, s | absorbed tokens/s, median (range) | generated tokens/s, median | cores: model / stream thread / broker / client network / rest | "
           "engine alone, formed batch over configured")


def runs_of(dirs, name):
    """Every result of `name` (and its repeats) in the directories, in the order given."""
    return [r for d in dirs for r in report.with_repeats(d, name + ".json")]


def span(values, fmt):
    lo, hi = min(values), max(values)
    return fmt(lo) if lo == hi else f"{fmt(lo)}-{fmt(hi)}"


def engine_rate(r, batch):
    e = r["engine_alone"].get(f"batch_{batch}") or {}
    return e.get("absorbed_tokens_per_s", e.get("absorbed_tokens_per_s_with_generation"))


def formed_over_configured(r):
    """The engine alone's rate at the formed batch over the configured batch's, or None when they are one."""
    configured = r["settings"]["batch_max_size"]
    formed = [int(k[len("batch_"):]) for k in r["engine_alone"] if k != f"batch_{configured}"]
    return engine_rate(r, formed[0]) / engine_rate(r, configured) if formed else None


def row(label, runs):
    wholes = [report.formed_ratio(r, False) for r in runs]
    steadies = [report.formed_ratio(r, True) for r in runs]
    share = [report.at_formed_batch(r, "model_cores_e2e_over_engine_batch_") for r in runs]
    per_core = [report.at_formed_batch(r, "tokens_per_model_core_e2e_over_engine_batch_") for r in runs]
    rows = [ab_table.row(r) for r in runs]
    groups = [r["cpu"]["cores_by_group"] for r in runs]
    cores = " / ".join(f"{statistics.median(v):.3f}" for v in (
        [x["model_cores"] for x in rows], [x["stream_thread_cores"] for x in rows], [x["broker_cores"] for x in rows],
        [x["network_thread_cores"] or 0.0 for x in rows],
        [g["gc, jit, onnx runtime pools, rocksdb"] for g in groups]))
    absorbed = [r["absorbed_tokens_per_s"] for r in runs]
    engines = [x for x in (formed_over_configured(r) for r in runs) if x is not None]
    three, two, whole, secs = (lambda v: f"{v:.3f}"), (lambda v: f"{v:.2f}"), (lambda v: f"{v:,.0f}"), (lambda v: f"{v:.0f}")
    return (f"| {label} | {len(runs)} | {report.ratio(statistics.median(wholes))} "
            f"({', '.join(report.ratio(w) for w in wholes)}) | {sum(w >= report.E2E_TARGET for w in wholes)} | "
            f"{report.ratio(statistics.median(steadies))} | {span(share, three)} | {span(per_core, three)} | "
            f"{span([x['stream_thread_us_per_chunk'] for x in rows], secs)} | "
            f"{span([r['start_lag_s'] for r in runs], two)} | {span([r['seconds'] for r in runs], secs)} | "
            f"{whole(statistics.median(absorbed))} ({span(absorbed, whole)}) | "
            f"{whole(statistics.median(r.get('generated_tokens_per_s') or 0 for r in runs))} | {cores} | "
            f"{span(engines, two) if engines else ''} |")


def table(dirs):
    out = ["| " + COLUMNS + " |", "|---" * (COLUMNS.count("|") + 1) + "|"]
    for name, label in report.E2E_RUNS:
        runs = runs_of(dirs, name)
        if label and runs:
            out.append(row(label, runs))
    paced = runs_of(dirs, "e2e_paced_half_peak")
    if paced:
        p99 = [r["latency_p99_ms"] for r in paced]
        out += ["", f"paced, {len(paced)} runs: p99 {statistics.median(p99):.0f} ms, the median of "
                    f"{' / '.join(f'{v:.0f}' for v in p99)}; seconds over 250 ms: "
                    f"{', '.join(ab_table.seconds_over(r.get('latency_by_second') or [], 250.0) for r in paced)}"]
    return "\n".join(out)


if __name__ == "__main__":
    if len(sys.argv) < 2 or not all(os.path.isdir(d) for d in sys.argv[1:]):
        sys.exit("usage: python3 bench/pooled.py DIR [DIR ...]")
    print(table(sys.argv[1:]))
