"""bench/jit_compiles.py: compilations counted between the publication and the engine alone after."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import jit_compiles  # noqa: E402

LOG = """\
   9971 4243       1       io.memstream.bench.CpuShares$Snapshot::cpuNanos (5 bytes)
bench: engine alone at B=32, 4 in flight, 1 caller(s): 111257 absorbed tokens/s
bench: published 12288 chunks ahead
  12745 5047       1       org.apache.kafka.common.config.ConfigDef$Range::atLeast (10 bytes)
  12750 4565   !   1       org.apache.avro.specific.SpecificDatumWriter::writeRecord (63 bytes)   made not entrant
  17104 7509       1       org.apache.kafka.timeline.SnapshotRegistry$ReverseSnapshotIterator::next (5 bytes)
  17107 7511       1       scala.runtime.BooleanRef::create (9 bytes)
  17115 7521  s    1       org.apache.kafka.streams.processor.internals.StreamTask::process (40 bytes)
bench:   17115 7517       1       scala.collection.convert.AsJavaConverters::asJava (30 bytes)
bench: 6496/12288 outputs after 4.7 s
  27134 8860   !   1       io.memstream.topology.MemoryProcessor::process (21 bytes)
bench: engine alone at B=32, 1 in flight, 1 caller(s): 108000 absorbed tokens/s
  29426 8863       1       java.io.PrintStream::ensureOpen (18 bytes)
"""


def test_only_the_run_is_counted_by_whose_code_it_is():
    c = jit_compiles.count(LOG.splitlines())
    by = {g["group"]: g for g in c["by_group"]}
    assert c["methods"] == 6  # not the engine alone's before or after, not the line stderr cut into
    assert by["broker"]["methods"] == 2 and by["broker"]["bytecode_bytes"] == 14
    assert by["kafka common (broker and clients)"]["methods"] == 1
    assert by["avro"]["methods"] == 1 and by["kafka streams"]["methods"] == 1 and by["memstream"]["methods"] == 1
    assert "jdk" not in by and by["broker"]["share"] == pytest.approx(2 / 6, abs=1e-3)


def test_a_log_without_a_run_published_ahead_is_refused():
    with pytest.raises(ValueError, match="published"):
        jit_compiles.count(["   9971 4243       1       java.lang.String::hashCode (5 bytes)"])
