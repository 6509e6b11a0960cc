"""Where a thread's Java time goes, from a JFR recording's execution samples.

Reads the text of `jfr print --events jdk.ExecutionSample --stack-depth 64 REC.jfr` and prints, for the
threads whose name matches --thread (a regular expression, whole name), the samples of each method
(inclusive: the method or anything it called), largest first, as counts and shares of the thread's
samples; and the samples of every thread, to see what else took the process's time.

    bench/profile-e2e.sh DIR ...        # records DIR/e2e.jfr during a `memstream bench e2e` run
    python3 bench/jfr_samples.py DIR/e2e.samples.txt --thread 'memstream-bench-.*-StreamThread-1'
"""
import argparse
import collections
import json
import re

SAMPLE = re.compile(r"jdk\.ExecutionSample \{")
THREAD = re.compile(r'sampledThread = "([^"]*)"')
FRAME = re.compile(r"^\s+([\w$.<>]+)\(", re.M)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def samples(text):
    """(thread name with ids masked, [frames, innermost first]) per sample."""
    for event in SAMPLE.split(text)[1:]:
        m = THREAD.search(event)
        yield UUID.sub("ID", m.group(1) if m else "?"), FRAME.findall(event)


def profile(text, thread, top):
    by_thread = collections.Counter()
    inclusive = collections.Counter()
    n = 0
    for name, frames in samples(text):
        by_thread[name] += 1
        if re.fullmatch(thread, name):
            n += 1
            for method in set(frames):
                inclusive[method] += 1
    return {
        "thread": thread,
        "samples": n,
        "methods": [{"method": m, "samples": c, "share": round(c / n, 3)} for m, c in inclusive.most_common(top)] if n else [],
        "samples_by_thread": dict(by_thread.most_common(top)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("samples", help="output of jfr print --events jdk.ExecutionSample")
    ap.add_argument("--thread", required=True, help="regular expression a thread's whole name matches (ids read ID)")
    ap.add_argument("--top", type=int, default=60)
    ap.add_argument("--json", help="also write the result here")
    args = ap.parse_args()
    with open(args.samples, encoding="utf-8") as f:
        result = profile(f.read(), args.thread, args.top)
    print(f"{result['samples']} samples of {args.thread}")
    for m in result["methods"]:
        print(f"{m['samples']:6d} {m['share']:6.1%}  {m['method']}")
    print("samples by thread:")
    for name, c in result["samples_by_thread"].items():
        print(f"{c:6d}  {name}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
