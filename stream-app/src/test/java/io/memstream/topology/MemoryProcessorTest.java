package io.memstream.topology;

import static io.memstream.topology.TopologyHarness.generating;
import static io.memstream.topology.TopologyHarness.greedy;
import static io.memstream.topology.TopologyHarness.sampled;
import static io.memstream.topology.TopologyHarness.text;
import static io.memstream.topology.TopologyHarness.timeless;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import io.memstream.model.StepOutput;
import io.memstream.model.TestModels;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import io.memstream.schema.MemoryState;
import io.memstream.schema.TokenChunk;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

class MemoryProcessorTest {

    /** Real text for the chunks of the topology tests (BatchEquivalenceTest uses them too). */
    static final String[] TEXTS = {
        "In the beginning was the stream, ",
        "and the stream was with memory; ",
        "every chunk it saw, it kept a little of, ",
        "and forgot the rest.",
    };

    @Test
    void memoryGrowsChunkByChunk() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            byte[] previous = null;
            long tokens = 0;
            for (int seq = 0; seq < TEXTS.length; seq++) {
                h.send(text("s1", seq, TEXTS[seq]));
                MemoryState m = h.memory().get("s1");
                assertNotNull(m, "memory after seq " + seq);
                assertEquals(seq, m.getLastSeq());
                assertEquals(seq + 1, m.getChunksAbsorbed());
                tokens += TEXTS[seq].getBytes(StandardCharsets.UTF_8).length + (seq == 0 ? 1 : 0);
                assertEquals(tokens, m.getTokensAbsorbed());
                byte[] data = bytes(m.getTensors().get(0).getData());
                assertEquals(4 * 8 * 48, data.length);
                if (previous != null) {
                    assertFalse(java.util.Arrays.equals(previous, data), "the memory changed at seq " + seq);
                }
                previous = data;
                Continuation c = h.output.readValue();
                assertEquals(seq, c.getSeq());
                assertEquals(seq + 1, c.getStats().getChunksAbsorbed());
                assertEquals(tokens, c.getStats().getTokensAbsorbed());
                assertEquals(1, c.getStats().getBatchSize());
                assertEquals(FinishReason.NONE, c.getFinishReason());
                assertTrue(c.getBitsPerByte() > 0 && c.getBitsPerByte() < 20, "bits per byte " + c.getBitsPerByte());
            }
            assertTrue(h.output.isEmpty());
            assertEquals(TEXTS.length, h.counter("memstream.continuations"));
        }
    }

    /** The stored memory equals the model's own step over the record's model chunks, bits included. */
    @Test
    void longTextIsSplitIntoModelChunksAndAbsorbedInOrder() {
        String longText = String.join("", TEXTS); // 127 bytes + BOS: 4 model chunks of 32
        ModelRuntime runtime = TestModels.tinyRuntime();
        int[] ids = runtime.tokenizer().encode(longText, true);
        int chunk = runtime.manifest().chunkLength();
        float[][] state = runtime.initialState();
        double bits = 0;
        ModelSession session = runtime.sessionForCurrentThread();
        for (int from = 0; from < ids.length; from += chunk) {
            int[] piece = java.util.Arrays.copyOfRange(ids, from, Math.min(ids.length, from + chunk));
            StepOutput out = session.step(new float[][][] {state}, new int[][] {piece});
            state = out.nextState()[0];
            bits += out.bits()[0];
        }
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            h.send(text("long", 0, longText));
            Continuation c = h.output.readValue();
            assertEquals((ids.length + chunk - 1) / chunk, c.getStats().getModelChunks());
            assertTrue(c.getStats().getModelChunks() > 1);
            assertEquals(ids.length, c.getStats().getChunkTokens());
            assertEquals(1, c.getStats().getChunksAbsorbed());
            assertEquals(bits / (ids.length - 1), c.getBitsPerByte(), 1e-9);
            float[] stored = new float[state[0].length];
            ByteBuffer.wrap(bytes(h.memory().get("long").getTensors().get(0).getData()))
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(stored);
            assertArrayEquals(state[0], stored);
            assertTrue(h.output.isEmpty(), "one continuation per input record");
        }
    }

    /** A failing model call stops the task; the record being processed is not a dead letter. */
    @Test
    void aFailedBatchStopsTheTaskInsteadOfBlamingARecord() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            // a stored memory of this model that has lost its tensors: the batch cannot be built
            h.memory().put("ok", MemoryState.newBuilder().setModelFingerprint(TestModels.tinyRuntime().manifest().fingerprint())
                    .setLastSeq(-1).setChunksAbsorbed(0).setTokensAbsorbed(0).setUpdatedAt(Instant.EPOCH)
                    .setTensors(List.of()).build());
            StreamsException e = assertThrows(StreamsException.class, () -> h.send(text("ok", 0, TEXTS[0])));
            assertTrue(causes(e).contains("batched model call failed"), causes(e));
            assertTrue(h.dlq.isEmpty(), "no innocent record in the dead-letter topic");
            assertTrue(h.output.isEmpty());
        }
    }

    /** Batches take streams round robin, so under overload no stream waits behind lower keys. */
    @Test
    void batchesServeStreamsRoundRobin() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            PendingQueue queue = new PendingQueue(h.driver.getKeyValueStore(MemstreamTopology.PENDING_STORE),
                    h.driver.getKeyValueStore(MemstreamTopology.PENDING_CHUNKS_STORE));
            ChunkAdmission admission = new ChunkAdmission(TestModels.tinyRuntime().tokenizer(), 32);
            for (String id : List.of("a", "b", "c")) {
                queue.append(id, null, 0, admission.split(text(id, 0, TEXTS[0].repeat(4))));
            }
            List<String> served = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                queue.heads(2).forEach(head -> served.add(head.streamId()));
            }
            assertEquals(List.of("a", "b", "c", "a", "b", "c"), served);
            assertEquals(List.of("a", "b", "c"), queue.heads(5).stream().map(PendingQueue.Head::streamId).toList());
        }
    }

    /**
     * The punctuator runs partial batches, but not at a tick that follows full batches: the
     * streams left over are filling the next one (under load the tick used to cut every other
     * batch short). At the next quiet tick they run.
     */
    @Test
    void theTickAfterAFullBatchLeavesTheNextOneToFill() {
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "4",
                TopologyConfig.BATCH_MAX_WAIT_MS, "50"))) {
            for (String id : List.of("a", "b", "c", "d", "e", "f")) {
                h.send(text(id, 0, TEXTS[0]));
            }
            assertEquals(4, h.readAll().size(), "the full batch runs at once");
            h.advance(Duration.ofMillis(50));
            assertTrue(h.output.isEmpty(), "the tick after a full batch leaves e and f to fill the next");
            for (String id : List.of("g", "h")) {
                h.send(text(id, 0, TEXTS[0]));
            }
            assertEquals(4, h.readAll().size(), "e and f ran with g and h as a full batch");
            h.send(text("i", 0, TEXTS[0]));
            h.advance(Duration.ofMillis(50));
            assertTrue(h.output.isEmpty(), "a full batch ran since the previous tick");
            h.advance(Duration.ofMillis(50));
            assertEquals(List.of("i"), h.readAll().stream().map(c -> c.getStreamId().toString()).toList(),
                    "a quiet tick runs the partial batch");
            h.send(text("j", 0, TEXTS[0]));
            h.advance(Duration.ofMillis(50));
            assertEquals(1, h.readAll().size(), "without full batches every tick runs what is queued");
        }
    }

    /** A record of many model chunks costs changelog bytes linear in its size, not quadratic. */
    @Test
    void queuedChunksCostLinearChangelogTraffic() {
        try (TopologyHarness h = new TopologyHarness(Map.of())) {
            String text = (TEXTS[0] + TEXTS[1]).repeat(20); // about 40 model chunks
            h.send(text("big", 0, text));
            for (int i = 0; i < 50 && h.output.isEmpty(); i++) {
                h.tick();
            }
            Continuation c = h.output.readValue();
            assertTrue(c.getStats().getModelChunks() >= 40, "model chunks " + c.getStats().getModelChunks());
            long bytes = 0;
            for (String store : List.of(MemstreamTopology.PENDING_STORE, MemstreamTopology.PENDING_CHUNKS_STORE)) {
                var changelog = h.driver.createOutputTopic("ttd-" + store + "-changelog",
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer());
                for (var r : changelog.readRecordsToList()) {
                    bytes += r.key().length + (r.value() == null ? 0 : r.value().length);
                }
            }
            int textBytes = text.getBytes(StandardCharsets.UTF_8).length;
            assertTrue(bytes > textBytes && bytes < 6L * textBytes,
                    "pending changelogs wrote " + bytes + " bytes for a " + textBytes + "-byte record");
        }
    }

    @Test
    void sameInputTwiceGivesByteIdenticalOutputs() {
        List<byte[]> first = runScript();
        List<byte[]> second = runScript();
        assertEquals(first.size(), second.size());
        assertTrue(first.size() >= 8);
        for (int i = 0; i < first.size(); i++) {
            assertArrayEquals(first.get(i), second.get(i), "continuation " + i);
        }
    }

    private List<byte[]> runScript() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            for (int seq = 0; seq < TEXTS.length; seq++) {
                h.send(generating("a", seq, TEXTS[seq], greedy(12)));
                h.send(generating("b", seq, TEXTS[seq], sampled(12, 0.9f, 40, 0.95f)));
            }
            var ser = h.serdes.continuation().serializer();
            List<byte[]> out = new ArrayList<>();
            for (Continuation c : h.readAll()) {
                assertTrue(c.getTokens().size() <= 12);
                assertNotEquals(FinishReason.NONE, c.getFinishReason());
                out.add(ser.serialize("x", timeless(c)));
            }
            return out;
        }
    }

    @Test
    void duplicatesAreDroppedAndCounted() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            h.send(text("d", 0, TEXTS[0]));
            h.send(text("d", 1, TEXTS[1]));
            h.send(text("d", 1, TEXTS[1]));
            h.send(text("d", 0, TEXTS[0]));
            assertEquals(List.of(0L, 1L), h.readAll().stream().map(Continuation::getSeq).toList());
            assertEquals(2, h.counter("memstream.chunks.duplicates"));
            assertEquals(1, h.memory().get("d").getLastSeq());
        }
        // a duplicate of a chunk still waiting for its batch is caught as well
        try (TopologyHarness h = new TopologyHarness(Map.of())) {
            h.send(text("d", 0, TEXTS[0]));
            h.send(text("d", 0, TEXTS[0]));
            h.tick();
            assertEquals(1, h.readAll().size());
            assertEquals(1, h.counter("memstream.chunks.duplicates"));
        }
    }

    @Test
    void gapsAreAcceptedAndCountedByDefault() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            h.send(text("g", 0, TEXTS[0]));
            h.send(text("g", 2, TEXTS[2]));
            assertEquals(List.of(0L, 2L), h.readAll().stream().map(Continuation::getSeq).toList());
            assertEquals(1, h.counter("memstream.chunks.gaps"));
            assertTrue(h.dlq.isEmpty());
        }
    }

    @Test
    void gapsGoToTheDeadLetterTopicWithPolicyReject() {
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "1",
                TopologyConfig.GAP_POLICY, "reject"))) {
            h.send(text("g", 0, TEXTS[0]));
            h.send(text("g", 2, TEXTS[2]));
            h.send(text("g", 1, TEXTS[1]));
            assertEquals(List.of(0L, 1L), h.readAll().stream().map(Continuation::getSeq).toList());
            TestRecord<byte[], byte[]> dead = h.dlq.readRecord();
            assertEquals("g", new String(dead.key(), StandardCharsets.UTF_8));
            assertEquals(2L, h.serdes.chunk().deserializer().deserialize("x", dead.value()).getSeq());
            Map<String, String> headers = headers(dead);
            assertTrue(headers.get("__streams.errors.message").contains("expected seq 1, got 2"), headers.toString());
            assertEquals(h.config.inputTopic(), headers.get("__streams.errors.topic"));
            assertEquals("0", headers.get("__streams.errors.partition"));
            assertEquals("1", headers.get("__streams.errors.offset"));
            assertEquals(1, h.deadLetters("gap"));
            assertTrue(h.dlq.isEmpty());
        }
    }

    @Test
    void endOfStreamDeletesTheMemoryAndTheIdStartsAfresh() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            h.send(text("e", 0, TEXTS[0]));
            TokenChunk last = text("e", 1, TEXTS[1]);
            last.setEndOfStream(true);
            h.send(last);
            assertNull(h.memory().get("e"));
            h.send(text("e", 0, TEXTS[0]));
            List<Continuation> out = h.readAll();
            assertEquals(3, out.size());
            assertEquals(out.get(0).getBitsPerByte(), out.get(2).getBitsPerByte(), "a new stream starts from the initial state");
            assertEquals(1, out.get(2).getStats().getChunksAbsorbed());
        }
    }

    @Test
    void idleMemoriesAreEvictedAfterTheTtl() {
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "1",
                TopologyConfig.MEMORY_TTL_MS, "10000"))) {
            h.send(text("idle", 0, TEXTS[0]));
            h.advance(Duration.ofSeconds(6));
            h.send(text("busy", 0, TEXTS[0]));
            h.advance(Duration.ofSeconds(6));
            assertNull(h.memory().get("idle"), "idle for 12 s > ttl 10 s");
            assertNotNull(h.memory().get("busy"), "idle for 6 s only");
            assertEquals(1, h.counter("memstream.memory.evictions"));
            h.advance(Duration.ofSeconds(6));
            assertNull(h.memory().get("busy"));
        }
    }

    /**
     * This and the next test write another model's state into the store behind the running
     * processor, which in a deployment only a restore does, before the processor starts: so the
     * memory cache is off.
     */
    @Test
    void foreignMemoryIsResetWithPolicyReset() {
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "1",
                TopologyConfig.MEMORY_CACHE_MAX_BYTES, "0"))) {
            h.send(text("fresh", 1, TEXTS[1]));
            h.send(text("old", 0, TEXTS[0]));
            MemoryState m = h.memory().get("old");
            m.setModelFingerprint("sha256:another-model");
            h.memory().put("old", m);
            h.send(text("old", 1, TEXTS[1]));
            List<Continuation> out = h.readAll();
            assertEquals(out.get(0).getBitsPerByte(), out.get(2).getBitsPerByte(), "reset to the initial state");
            assertEquals(1, h.counter("memstream.memory.resets"));
            assertEquals(TestModels.tinyRuntime().manifest().fingerprint(), h.memory().get("old").getModelFingerprint());
            assertEquals(1, h.memory().get("old").getLastSeq());
        }
    }

    @Test
    void foreignMemoryFailsTheTaskWithPolicyFail() {
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "1",
                TopologyConfig.FINGERPRINT_MISMATCH, "fail", TopologyConfig.MEMORY_CACHE_MAX_BYTES, "0"))) {
            h.send(text("old", 0, TEXTS[0]));
            h.readAll();
            MemoryState m = h.memory().get("old");
            m.setModelFingerprint("sha256:another-model");
            h.memory().put("old", m);
            StreamsException e = assertThrows(StreamsException.class, () -> h.send(text("old", 1, TEXTS[1])));
            assertTrue(causes(e).contains("written by model sha256:another-model"), causes(e));
            assertTrue(h.output.isEmpty());
        }
        // the same when the mismatch is met by a batch (a punctuation) rather than at intake
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.FINGERPRINT_MISMATCH, "fail",
                TopologyConfig.MEMORY_CACHE_MAX_BYTES, "0"))) {
            h.send(text("old", 0, TEXTS[0]));
            h.tick();
            h.send(text("old", 1, TEXTS[1]));
            MemoryState m = h.memory().get("old");
            m.setModelFingerprint("sha256:another-model");
            h.memory().put("old", m);
            StreamsException e = assertThrows(StreamsException.class, h::tick);
            assertTrue(causes(e).contains("written by model sha256:another-model"), causes(e));
            assertEquals(1, h.readAll().size());
        }
    }

    /** Under exactly-once: unreadable records too are dead-lettered by a processor (RecordDecoder). */
    @Test
    void oversizedAndMalformedRecordsGoToTheDeadLetterTopic() {
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "1",
                TopologyConfig.RECORD_MAX_BYTES, "300", "processing.guarantee", "exactly_once_v2"))) {
            h.send(text("big", 0, "x".repeat(400)));
            h.rawInput.pipeInput("junk", new byte[] {0, 0, 0, 0, 42, 1, 2, 3});
            TokenChunk both = text("m", 0, "hello");
            both.setTokens(List.of(104, 105));
            h.send(both);
            TokenChunk badToken = text("m", 0, null);
            badToken.setTokens(List.of(104, 999));
            h.send(badToken);
            h.input.pipeInput("not-m", text("m", 0, "hello"));
            TokenChunk badGen = generating("m", 0, "hello", greedy(0));
            h.send(badGen);
            h.send(text("m", 0, "still running"));

            List<TestRecord<byte[], byte[]>> dead = h.dlq.readRecordsToList();
            assertEquals(6, dead.size(), dead.stream().map(r -> headers(r).get("__streams.errors.message")).toList().toString());
            String[] expected = {"record.max.bytes=300", "", "exactly one of text and tokens", "token id 999",
                "must equal streamId", "maxNewTokens must be at least 1"};
            for (int i = 0; i < dead.size(); i++) {
                Map<String, String> headers = headers(dead.get(i));
                assertTrue(headers.get("__streams.errors.message").contains(expected[i]), i + ": " + headers);
                assertEquals(h.config.inputTopic(), headers.get("__streams.errors.topic"));
                assertEquals(Integer.toString(i), headers.get("__streams.errors.offset"));
                assertNotNull(headers.get("__streams.errors.exception"));
            }
            assertEquals(1, h.deadLetters("oversized"));
            assertEquals(1, h.deadLetters("undecodable"));
            assertEquals(1, h.deadLetters("malformed"));
            assertEquals(1, h.deadLetters("bad-token"));
            assertEquals(1, h.deadLetters("bad-key"));
            assertEquals(1, h.deadLetters("bad-generate"));
            assertEquals(List.of("m"), h.readAll().stream().map(c -> c.getStreamId().toString()).toList());
        }
    }

    private static Map<String, String> headers(TestRecord<byte[], byte[]> r) {
        Map<String, String> out = new HashMap<>();
        for (Header hd : r.headers()) {
            out.put(hd.key(), hd.value() == null ? null : new String(hd.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getMessage()).append(" | ");
        }
        return sb.toString();
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    @Test
    void generationRespectsTheModelLimit() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            h.send(generating("lim", 0, TEXTS[0], greedy(1000)));
            Continuation c = h.output.readValue();
            int cap = TestModels.tinyRuntime().manifest().maxNewTokens();
            assertTrue(c.getTokens().size() <= cap);
            if (c.getFinishReason() == FinishReason.LENGTH) {
                assertEquals(cap, c.getTokens().size());
            }
            assertNotEquals(FinishReason.NONE, c.getFinishReason());
        }
    }
}
