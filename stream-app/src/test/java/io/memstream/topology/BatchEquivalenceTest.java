package io.memstream.topology;

import static io.memstream.topology.TopologyHarness.generating;
import static io.memstream.topology.TopologyHarness.greedy;
import static io.memstream.topology.TopologyHarness.sampled;
import static io.memstream.topology.TopologyHarness.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.model.TestModels;
import io.memstream.schema.Continuation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * How batches are formed and run does not change what a stream gets: per stream the same
 * continuations at batch size 1 and 32, with and without {@code batch.overlap}, and a chunk queued
 * while its stream is with the model is absorbed after it.
 */
class BatchEquivalenceTest {

    /** Per stream, batch.max.size=1 and 32 produce the same continuations (rows are independent). */
    @Test
    void batchSizeOneAndThirtyTwoGiveIdenticalOutputs() {
        Map<String, List<Continuation>> one = runStreams(Map.of(TopologyConfig.BATCH_MAX_SIZE, "1"));
        Map<String, List<Continuation>> many = runStreams(Map.of(TopologyConfig.BATCH_MAX_SIZE, "32"));
        assertSameContinuations(one, many);
        boolean batched = false;
        for (String stream : one.keySet()) {
            for (int i = 0; i < one.get(stream).size(); i++) {
                assertEquals(1, one.get(stream).get(i).getStats().getBatchSize());
                batched |= many.get(stream).get(i).getStats().getBatchSize() > 1;
            }
        }
        assertTrue(batched, "the 32 run really batched");
        assertTrue(batchMax > 1 && batchMax <= 32, "batch size metric " + batchMax);
    }

    /** The memory cache changes no output: every state read from RocksDB gives the same continuations. */
    @Test
    void readingEveryMemoryFromTheStoreGivesTheSameContinuations() {
        Map<String, List<Continuation>> cached = runStreams(Map.of(TopologyConfig.BATCH_MAX_SIZE, "8"));
        Map<String, List<Continuation>> uncached = runStreams(Map.of(TopologyConfig.BATCH_MAX_SIZE, "8",
                TopologyConfig.MEMORY_CACHE_MAX_BYTES, "0"));
        assertSameContinuations(cached, uncached);
    }

    /**
     * batch.overlap: full batches run on the model worker while later chunks, of the same streams
     * too, queue behind them; per stream the same continuations as taking turns, none lost or doubled.
     */
    @Test
    void overlappingBatchesGiveTheSameContinuationsAsTakingTurns() throws Exception {
        Map<String, List<Continuation>> turns = runStreams(Map.of(TopologyConfig.BATCH_MAX_SIZE, "8",
                TopologyConfig.BATCH_OVERLAP, "false"));
        // On a thread of its own, so that its model worker can only have come from this run.
        String caller = "overlap-test-" + UUID.randomUUID();
        AtomicReference<Map<String, List<Continuation>>> overlapped = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread run = new Thread(() -> {
            try {
                overlapped.set(runStreams(Map.of(TopologyConfig.BATCH_MAX_SIZE, "8", TopologyConfig.BATCH_OVERLAP, "true")));
            } catch (Throwable e) {
                failure.set(e);
            }
        }, caller);
        run.start();
        run.join();
        if (failure.get() != null) {
            throw new AssertionError("the overlapping run failed", failure.get());
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().matches("memstream-(model|step-part)-\\d+-of-" + caller)),
                "the batches ran on the model's threads, not the caller");
        assertSameContinuations(turns, overlapped.get());
    }

    /**
     * batch.overlap: a stream's next chunk, queued while its previous one is with the model, is kept
     * and absorbed after it (the batch's results are applied to the queue as it is then, not as it was).
     */
    @Test
    void aChunkQueuedWhileItsStreamIsWithTheModelIsAbsorbedAfterIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "4",
                TopologyConfig.BATCH_OVERLAP, "true"))) {
            // The driver runs the processor on this thread, so this is the worker its batches go to:
            // held, the two full batches below wait there while the next chunks of their streams arrive.
            Future<?> held = TestModels.tinyRuntime().workerForCurrentThread().submit(() -> {
                release.await();
                return null;
            });
            for (int s = 0; s < 8; s++) {
                h.send(text("s" + s, 0, MemoryProcessorTest.TEXTS[s % MemoryProcessorTest.TEXTS.length]));
            }
            for (int s = 0; s < 4; s++) {
                h.send(text("s" + s, 1, MemoryProcessorTest.TEXTS[(s + 1) % MemoryProcessorTest.TEXTS.length]));
            }
            assertTrue(h.readAll().isEmpty(), "both batches are still with the model");
            release.countDown();
            held.get();
            h.settle();
            Map<String, List<Long>> seqs = new HashMap<>();
            for (Continuation c : h.readAll()) {
                seqs.computeIfAbsent(c.getStreamId(), k -> new ArrayList<>()).add(c.getSeq());
            }
            for (int s = 0; s < 8; s++) {
                assertEquals(s < 4 ? List.of(0L, 1L) : List.of(0L), seqs.get("s" + s), "stream s" + s);
                assertEquals(s < 4 ? 1 : 0, h.memory().get("s" + s).getLastSeq());
            }
        } finally {
            release.countDown();
        }
    }

    /**
     * batch.overlap: the batch punctuator starts partial batches and returns; it does not wait for the
     * model (a punctuation that waited kept the stream thread's other tasks, its polls and its commits
     * from going on while a generation ran). The collecting punctuator applies them when done.
     */
    @Test
    void theTickStartsPartialBatchesWithoutWaitingForTheModel() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "8",
                TopologyConfig.BATCH_OVERLAP, "true"))) {
            Future<?> held = TestModels.tinyRuntime().workerForCurrentThread().submit(() -> {
                release.await();
                return null;
            });
            for (int s = 0; s < 3; s++) { // a partial batch: only the tick runs it
                h.send(generating("p" + s, 0, MemoryProcessorTest.TEXTS[s], greedy(4)));
            }
            // A tick that waits for the model would wait here until the watchdog lets the worker go.
            var watchdog = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            watchdog.schedule(release::countDown, 3, java.util.concurrent.TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            h.tick();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            watchdog.shutdownNow();
            assertTrue(ms < 2000, "the tick waited for the model: " + ms + " ms");
            assertTrue(h.readAll().isEmpty(), "the batch is still with the model");
            release.countDown();
            held.get();
            h.settle();
            assertEquals(3, h.readAll().size());
        } finally {
            release.countDown();
        }
    }

    private static void assertSameContinuations(Map<String, List<Continuation>> one, Map<String, List<Continuation>> other) {
        assertEquals(one.keySet(), other.keySet());
        for (String stream : one.keySet()) {
            List<Continuation> a = one.get(stream);
            List<Continuation> b = other.get(stream);
            assertEquals(a.size(), b.size(), stream);
            for (int i = 0; i < a.size(); i++) {
                Continuation x = a.get(i);
                Continuation y = b.get(i);
                assertEquals(x.getSeq(), y.getSeq());
                assertEquals(x.getTokens(), y.getTokens(), stream + " seq " + x.getSeq());
                assertEquals(x.getText(), y.getText());
                assertEquals(x.getFinishReason(), y.getFinishReason());
                assertEquals(x.getBitsPerByte(), y.getBitsPerByte(), 1e-5);
                assertEquals(x.getStats().getChunksAbsorbed(), y.getStats().getChunksAbsorbed());
            }
        }
    }

    private double batchMax;

    private Map<String, List<Continuation>> runStreams(Map<String, String> settings) {
        try (TopologyHarness h = new TopologyHarness(settings)) {
            for (int seq = 0; seq < 3; seq++) {
                for (int s = 0; s < 40; s++) {
                    String text = MemoryProcessorTest.TEXTS[(s + seq) % MemoryProcessorTest.TEXTS.length] + (seq == 1 && s % 7 == 0 ? MemoryProcessorTest.TEXTS[3].repeat(3) : "");
                    h.send(s % 2 == 0 ? generating("s" + s, seq, text, sampled(10, 0.8f, 0, 0.9f))
                            : generating("s" + s, seq, text, greedy(6)));
                }
                h.settle();
            }
            Map<String, List<Continuation>> by = new HashMap<>();
            for (Continuation c : h.readAll()) {
                by.computeIfAbsent(c.getStreamId(), k -> new ArrayList<>()).add(c);
            }
            assertEquals(40, by.size());
            by.values().forEach(l -> assertEquals(3, l.size()));
            batchMax = h.meters.find("memstream.batch.size").summary().max();
            var step = h.meters.find("memstream.model.latency").tag("call", "step").timer();
            var gen = h.meters.find("memstream.model.latency").tag("call", "generate").timer();
            assertTrue(step.count() > 0 && gen.count() > 0 && step.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS) > 0);
            return by;
        }
    }
}
