"""What the JIT compiled while a cold end-to-end run ran, by whose code it was.

Reads the merged output of a `memstream bench e2e` run under `-XX:+PrintCompilation` (bench/jit-compiles.sh
writes it) and counts the methods compiled, and their bytecode bytes, between the line that says the run
was published ahead (the processor starts after it) and the first engine-alone line after that (the
run has ended), grouped by package: the broker's own code (which shares this JVM and these cores in the
benchmark, and runs elsewhere, warm, in production), Kafka's common and client code (which broker and
processor both run), Kafka Streams, memstream, Avro, the JDK, and the rest.

    bench/jit-compiles.sh --streams 256 --chunks 48 -D batch.max.size=32
    python3 bench/jit_compiles.py bench/results/jit-compiles/compiles.log
"""
import argparse
import collections
import json
import re

# "   17104 7509       1       org.apache.kafka.timeline.SnapshotRegistry$X::next (5 bytes)": uptime ms,
# compile id, flags, tier, class::method and size. Lines that stderr cut into are skipped.
COMPILE = re.compile(r"^\s*(\d+)\s+\d+\s+[%sbn! ]*\s*\d\s+([\w$.]+)::\S+ \((\d+) bytes\)")

# First match wins: the broker's packages before Kafka's shared ones.
GROUPS = [("broker", ("kafka.", "scala.", "org.apache.kafka.storage", "org.apache.kafka.server",
                      "org.apache.kafka.raft", "org.apache.kafka.metadata", "org.apache.kafka.timeline",
                      "org.apache.kafka.coordinator", "org.apache.kafka.image", "org.apache.kafka.controller",
                      "com.yammer.metrics")),
          ("kafka streams", ("org.apache.kafka.streams",)),
          ("kafka clients", ("org.apache.kafka.clients",)),
          ("kafka common (broker and clients)", ("org.apache.kafka.common",)),
          ("memstream", ("io.memstream",)),
          ("avro", ("org.apache.avro",)),
          ("jdk", ("java.", "javax.", "jdk.", "sun.", "com.sun.")),
          ]


def group(cls):
    for name, prefixes in GROUPS:
        if cls.startswith(prefixes):
            return name
    return "other"


def window(lines):
    """The lines from the publication of the run to the first engine-alone line after it."""
    start = next((i for i, line in enumerate(lines) if "chunks ahead" in line), None)
    if start is None:
        raise ValueError("no 'published ... chunks ahead' line: not the output of a run published ahead")
    end = next((i for i in range(start, len(lines)) if "engine alone at" in lines[i]), len(lines))
    return lines[start:end]


def count(lines):
    methods, sizes = collections.Counter(), collections.Counter()
    for line in window(lines):
        m = COMPILE.match(line)
        if m:
            g = group(m.group(2))
            methods[g] += 1
            sizes[g] += int(m.group(3))
    total = sum(methods.values())
    return {"methods": total, "bytecode_bytes": sum(sizes.values()),
            "by_group": [{"group": g, "methods": n, "share": round(n / total, 3), "bytecode_bytes": sizes[g]}
                         for g, n in methods.most_common()]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("log")
    a = p.parse_args()
    with open(a.log, errors="replace") as f:
        print(json.dumps(count(f.read().splitlines()), indent=1))


if __name__ == "__main__":
    main()
