"""bench/jmh.sh's JMH result as tokens/s, with the ratios issue 6 names (also importable: rows())."""
import json
import sys

CHUNK = 64  # models/default's chunk length; step's tokens per row
NEW_TOKENS = 64  # EngineBenchmarks.NEW_TOKENS


def rows(results):
    """(benchmark, batch, ms per call, tokens/s) for every result."""
    out = []
    for r in results:
        name = r["benchmark"].rsplit(".", 1)[-1]
        p = r.get("params", {})
        ms = r["primaryMetric"]["score"]
        new = NEW_TOKENS
        if name == "step":
            batch, tokens = int(p["batch"]), int(p["batch"]) * CHUNK
        elif name == "generateCached":
            batch, tokens = int(p["rows"]), int(p["rows"]) * new
        elif name == "generateRecomputed":
            batch, tokens = int(p["recomputeRows"]), int(p["recomputeRows"]) * new
        else:
            batch, tokens = int(p["streams"]), int(p["streams"]) * new
        out.append((name, batch, ms, tokens / (ms / 1e3)))
    return out


def ratios(table):
    """(what, ratio) for the comparisons issue 6 sets targets on, from rows(): cached decoding
    against recomputation at batch 1 and 8, and 32 streams batched against one at a time."""
    by = {(n, b): ms for n, b, ms, _ in table}
    out = []
    for b in (1, 8):
        if ("generateCached", b) in by and ("generateRecomputed", b) in by:
            out.append((f"cached decoding against recomputation, 64 new tokens, batch {b}",
                        by[("generateRecomputed", b)] / by[("generateCached", b)]))
    if ("generateStreamsBatched", 32) in by and ("generateStreamsOneAtATime", 32) in by:
        out.append(("32 streams x 64 tokens batched against one stream at a time",
                    by[("generateStreamsOneAtATime", 32)] / by[("generateStreamsBatched", 32)]))
    return out


def main(path):
    with open(path) as f:
        table = rows(json.load(f))
    print(f"{'benchmark':28} {'batch':>5} {'ms/call':>10} {'tokens/s':>10}")
    for name, batch, ms, tps in table:
        print(f"{name:28} {batch:5d} {ms:10.3f} {tps:10.0f}")
    for what, ratio in ratios(table):
        print(f"{what}: {ratio:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1])
