package io.memstream.topology;

import io.memstream.schema.MemoryState;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@link ReliabilityCrashTest} judges a run under faults: what it left committed against what the
 * fault-free oracle produced, counting (and printing) every continuation, memory and dead letter that
 * differs.
 */
final class CrashRunComparison {

    private CrashRunComparison() {
    }

    /** What the faulty run left committed: every copy of every continuation, the dead letters, the memories. */
    record Observed(Map<String, List<byte[]>> outputs, List<ReliabilityCrashTest.Sent> deadLetters, Map<String, MemoryState> memories) { }

    /** What the fault-free oracle produced: one continuation per chunk, and every stream's final memory. */
    record Expected(Map<String, byte[]> continuations, Map<String, MemoryState> memories) { }

    /** How the faulty run differs from the oracle. */
    record Differences(int duplicates, int missing, int extra, int mismatches, int memoryMismatches,
                       int dlqMismatches) { }

    /** Continuations, memories and dead letters against the oracle's; prints each difference found. */
    static Differences compare(Expected expected, Observed observed, List<ReliabilityCrashTest.Sent> bad) {
        int duplicates = 0;
        int missing = 0;
        int mismatches = 0;
        for (var e : expected.continuations().entrySet()) {
            List<byte[]> got = observed.outputs().get(e.getKey());
            if (got == null) {
                missing++;
                continue;
            }
            duplicates += got.size() - 1;
            for (byte[] g : got) {
                if (!Arrays.equals(g, e.getValue())) {
                    mismatches++;
                    System.out.println("crash test: continuation " + e.getKey() + " differs from the oracle's");
                }
            }
        }
        int extra = (int) observed.outputs().keySet().stream()
                .filter(k -> !expected.continuations().containsKey(k)).count();
        int memoryMismatches = memoryMismatches(expected.memories(), observed.memories());
        int dlqMismatches = dlqDifferences(bad, observed.deadLetters());
        return new Differences(duplicates, missing, extra, mismatches, memoryMismatches, dlqMismatches);
    }

    static int memoryMismatches(Map<String, MemoryState> expected, Map<String, MemoryState> actual) {
        int mismatches = 0;
        for (var e : expected.entrySet()) {
            if (!sameMemory(e.getValue(), actual.get(e.getKey()))) {
                mismatches++;
                System.out.println("crash test: memory of " + e.getKey() + " differs from the oracle's");
            }
        }
        return mismatches;
    }

    /** Everything but the wall-clock {@code updatedAt}: tensors byte for byte, fingerprint, seq, counters. */
    static boolean sameMemory(MemoryState expected, MemoryState actual) {
        if (expected == null || actual == null) {
            return expected == actual;
        }
        MemoryState a = MemoryState.newBuilder(expected).setUpdatedAt(Instant.EPOCH).build();
        MemoryState b = MemoryState.newBuilder(actual).setUpdatedAt(Instant.EPOCH).build();
        return a.equals(b);
    }

    /** Records missing from, doubled in, or foreign to the dead-letter topic. */
    static int dlqDifferences(List<ReliabilityCrashTest.Sent> bad, List<ReliabilityCrashTest.Sent> dead) {
        Map<String, Integer> counts = new HashMap<>();
        for (ReliabilityCrashTest.Sent s : bad) {
            counts.merge(s.key() + "|" + Arrays.toString(s.value()), 1, Integer::sum);
        }
        for (ReliabilityCrashTest.Sent s : dead) {
            counts.merge(s.key() + "|" + Arrays.toString(s.value()), -1, Integer::sum);
        }
        int diff = counts.values().stream().mapToInt(Math::abs).sum();
        if (diff != 0) {
            System.out.println("crash test: dead letters expected " + bad.size() + ", got " + dead.size());
        }
        return diff;
    }
}
