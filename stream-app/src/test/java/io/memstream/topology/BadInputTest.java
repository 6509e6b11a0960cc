package io.memstream.topology;

import static io.memstream.topology.TopologyHarness.START;
import static io.memstream.topology.TopologyHarness.generating;
import static io.memstream.topology.TopologyHarness.greedy;
import static io.memstream.topology.TopologyHarness.sampled;
import static io.memstream.topology.TopologyHarness.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.model.TestModels;
import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Every kind of bad input record of issue 7, one test each: the record is a dead letter with its
 * reason (or a documented, counted drop), and the good records around it are all processed.
 *
 * <p>Each test sends a good record of stream {@code good}, the bad record, then another good record,
 * and checks both good ones came out. The harness runs at-least-once, which TopologyTestDriver
 * commits after every record; one test runs the unreadable kinds under exactly-once, and the crash
 * test ({@code ReliabilityCrashTest}) sends them through a real broker under exactly-once.
 */
class BadInputTest {

    /** A dead letter as read back: the record as it arrived plus Streams' error headers. */
    private record Dead(byte[] key, byte[] value, Map<String, String> headers) {
        String message() {
            return headers.get("__streams.errors.message");
        }

        String exception() {
            return headers.get("__streams.errors.exception");
        }
    }

    private static TopologyHarness harness() {
        return harness(Map.of());
    }

    private static TopologyHarness harness(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of(TopologyConfig.BATCH_MAX_SIZE, "1",
                TopologyConfig.RECORD_MAX_BYTES, "4096", "processing.guarantee", "at_least_once"));
        settings.putAll(extra);
        return new TopologyHarness(settings);
    }

    /**
     * Good record, {@code bad}, good record; returns the dead letters and checks that both good
     * records (and nothing else) were continued.
     */
    private static List<Dead> betweenGoodOnes(TopologyHarness h, Consumer<TopologyHarness> bad) {
        h.send(text("good", 0, "a good record before, "));
        bad.accept(h);
        h.send(text("good", 1, "and a good record after."));
        h.tick();
        List<Continuation> out = h.readAll();
        List<String> good = out.stream().filter(c -> c.getStreamId().equals("good"))
                .map(c -> c.getStreamId() + "/" + c.getSeq()).toList();
        assertEquals(List.of("good/0", "good/1"), good, "the good records around the bad one");
        List<Dead> dead = new ArrayList<>();
        for (TestRecord<byte[], byte[]> r : h.dlq.readRecordsToList()) {
            Map<String, String> headers = new HashMap<>();
            for (Header hd : r.headers()) {
                headers.put(hd.key(), hd.value() == null ? null : new String(hd.value(), StandardCharsets.UTF_8));
            }
            dead.add(new Dead(r.key(), r.value(), headers));
        }
        return dead;
    }

    /** One bad record: exactly one dead letter, from the input topic at offset 1, with this reason. */
    private static Dead oneDeadLetter(TopologyHarness h, Consumer<TopologyHarness> bad, String reasonPart,
                                      String metricReason) {
        List<Dead> dead = betweenGoodOnes(h, bad);
        assertEquals(1, dead.size(), () -> dead.stream().map(Dead::message).toList().toString());
        Dead d = dead.get(0);
        assertTrue(d.message() != null && d.message().contains(reasonPart), "reason: " + d.message());
        assertEquals(h.config.inputTopic(), d.headers().get("__streams.errors.topic"));
        assertEquals("1", d.headers().get("__streams.errors.offset"));
        assertEquals(1, h.deadLetters(metricReason), "memstream.dead.letters{reason=" + metricReason + "}");
        return d;
    }

    private static byte[] framed(TopologyHarness h, TokenChunk chunk) {
        return h.serdes.chunk().serializer().serialize(h.config.inputTopic(), chunk);
    }

    private static void sendRaw(TopologyHarness h, String key, byte[] value) {
        h.rawInput.pipeInput(key, value, START);
    }

    // ---- undecodable values (deserialization) ----

    @Test
    void notAvroIsADeadLetter() {
        byte[] json = "{\"streamId\":\"j\",\"seq\":0,\"text\":\"hello\"}".getBytes(StandardCharsets.UTF_8);
        try (TopologyHarness h = harness()) {
            Dead d = oneDeadLetter(h, x -> sendRaw(x, "j", json), "not the Confluent wire format", "undecodable");
            assertArrayEquals(json, d.value(), "the record as it arrived");
            assertTrue(d.exception().contains("SerializationException"), d.exception());
        }
    }

    @Test
    void wrongMagicByteIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            byte[] bytes = framed(h, text("m", 0, "hello"));
            bytes[0] = 0x07;
            Dead d = oneDeadLetter(h, x -> sendRaw(x, "m", bytes), "starts with byte 0x07", "undecodable");
            assertArrayEquals(bytes, d.value());
        }
    }

    @Test
    void unknownSchemaIdIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            byte[] bytes = framed(h, text("u", 0, "hello"));
            ByteBuffer.wrap(bytes, 1, 4).putInt(424242);
            oneDeadLetter(h, x -> sendRaw(x, "u", bytes), "cannot resolve", "undecodable");
        }
    }

    @Test
    void truncatedRecordIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            byte[] whole = framed(h, generating("t", 0, "a record cut short in transit", greedy(4)));
            byte[] cut = Arrays.copyOf(whole, whole.length - 7);
            oneDeadLetter(h, x -> sendRaw(x, "t", cut), "Cannot read a TokenChunk", "undecodable");
        }
        // shorter than the 5-byte wire-format header
        try (TopologyHarness h = harness()) {
            oneDeadLetter(h, x -> sendRaw(x, "t", new byte[] {0, 0, 1}), "too short", "undecodable");
        }
    }

    @Test
    void recordOfAnotherSchemaIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            // A Continuation (a registered schema, valid wire format) sent to the input topic by mistake.
            Continuation c = Continuation.newBuilder().setStreamId("o").setSeq(0).setModelId("m")
                    .setFinishReason(FinishReason.NONE).setStats(ChunkStats.newBuilder().setChunkTokens(1)
                            .setBatchSize(1).setInferenceMillis(0).setChunksAbsorbed(1).setTokensAbsorbed(1).build())
                    .build();
            byte[] bytes = h.serdes.continuation().serializer().serialize(h.config.outputTopic(), c);
            oneDeadLetter(h, x -> sendRaw(x, "o", bytes), "Cannot read a TokenChunk", "undecodable");
        }
    }

    @Test
    void invalidUtf8TextIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            byte[] bytes = framed(h, text("u8", 0, "before @@@@ after"));
            replace(bytes, "@@@@", new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xc3, 0x28});
            oneDeadLetter(h, x -> sendRaw(x, "u8", bytes), "invalid UTF-8 in field 'text'", "undecodable");
        }
    }

    /** The check behind the previous test must not reject a text that really contains U+FFFD. */
    @Test
    void genuineReplacementCharacterIsNotMistakenForInvalidUtf8() {
        try (TopologyHarness h = harness()) {
            assertTrue(betweenGoodOnes(h, x -> x.send(text("fffd", 0, "a real \uFFFD in the text"))).isEmpty());
        }
    }

    @Test
    void invalidUtf8StreamIdInTheValueIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            byte[] bytes = framed(h, text("id@@", 0, "hello"));
            replace(bytes, "id@@", new byte[] {'i', 'd', (byte) 0xc0, (byte) 0xaf});
            oneDeadLetter(h, x -> sendRaw(x, "id\uFFFD\uFFFD", bytes), "invalid UTF-8 in field 'streamId'", "undecodable");
        }
    }

    /** Kafka's StringDeserializer would turn any invalid key into U+FFFD: two ids could share a memory. */
    @Test
    void invalidUtf8KeyIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            byte[] key = {'k', (byte) 0xff};
            TestInputTopic<byte[], byte[]> bytesIn = h.driver.createInputTopic(h.config.inputTopic(),
                    new ByteArraySerializer(), new ByteArraySerializer());
            byte[] value = framed(h, text("k\uFFFD", 0, "hello"));
            Dead d = oneDeadLetter(h, x -> bytesIn.pipeInput(key, value, START), "key on topic", "bad-key");
            assertArrayEquals(key, d.key());
        }
    }

    @Test
    void oversizedRecordIsADeadLetter() {
        try (TopologyHarness h = harness(Map.of(TopologyConfig.RECORD_MAX_BYTES, "300"))) {
            Dead d = oneDeadLetter(h, x -> x.send(text("big", 0, "x".repeat(400))), "record.max.bytes=300", "oversized");
            assertTrue(d.exception().contains("RecordTooLargeException"), d.exception());
        }
    }

    /**
     * Unreadable records are dead-lettered by a processor ({@link RecordDecoder}), in the
     * transaction that commits their offset, not by Streams' deserialization handler: that one dropped
     * the record while the next became the queue's head, so a commit and a crash in between wrote
     * its dead letter twice. Here under exactly-once, with Kafka's log-and-fail deserialization
     * handler, which would stop the task on any record that failed in the source's deserializers
     * (TopologyTestDriver's producer also dropped those dead letters under exactly-once).
     */
    @Test
    void unreadableRecordsAreDeadLetteredInTheirOwnTransactionUnderExactlyOnce() {
        try (TopologyHarness h = harness(Map.of("processing.guarantee", "exactly_once_v2",
                "deserialization.exception.handler", "org.apache.kafka.streams.errors.LogAndFailExceptionHandler"))) {
            byte[] notAvro = "not a chunk".getBytes(StandardCharsets.UTF_8);
            TestInputTopic<byte[], byte[]> bytesIn = h.driver.createInputTopic(h.config.inputTopic(),
                    new ByteArraySerializer(), new ByteArraySerializer());
            byte[] badKey = {'k', (byte) 0xff};
            List<Dead> dead = betweenGoodOnes(h, x -> {
                sendRaw(x, "j", notAvro);
                bytesIn.pipeInput(badKey, framed(x, text("k", 0, "hello")), START);
            });
            assertEquals(2, dead.size(), () -> dead.stream().map(Dead::message).toList().toString());
            assertArrayEquals(notAvro, dead.get(0).value(), "the record as it arrived");
            assertEquals("1", dead.get(0).headers().get("__streams.errors.offset"));
            assertArrayEquals(badKey, dead.get(1).key());
            assertEquals("2", dead.get(1).headers().get("__streams.errors.offset"));
            assertEquals(1, h.deadLetters("undecodable"));
            assertEquals(1, h.deadLetters("bad-key"));
        }
    }

    // ---- rejected by the processor (validation) ----

    @Test
    void nullKeyIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            Dead d = oneDeadLetter(h, x -> x.input.pipeInput(null, text("n", 0, "hello"), START), "no key", "bad-key");
            assertEquals(null, d.key());
        }
    }

    @Test
    void keyDifferentFromStreamIdIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            oneDeadLetter(h, x -> x.input.pipeInput("other", text("n", 0, "hello"), START), "must equal streamId",
                    "bad-key");
        }
    }

    @Test
    void nullValueIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            oneDeadLetter(h, x -> x.input.pipeInput("tomb", null, START), "null value", "malformed");
        }
    }

    @Test
    void emptyTextIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            // at seq 0 the BOS token alone would have made a continuation of nothing
            oneDeadLetter(h, x -> x.send(text("e", 0, "")), "text is empty", "empty");
        }
        try (TopologyHarness h = harness()) {
            oneDeadLetter(h, x -> x.send(text("e", 3, "")), "text is empty", "empty");
        }
    }

    @Test
    void emptyTokenListIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            TokenChunk c = text("e", 0, null);
            c.setTokens(List.of());
            oneDeadLetter(h, x -> x.send(c), "tokens is an empty list", "empty");
        }
    }

    /** Blanks are content for a byte-level model (documented in docs/processor.md), not an error. */
    @Test
    void whitespaceOnlyTextIsAbsorbedAsContent() {
        try (TopologyHarness h = harness()) {
            assertTrue(betweenGoodOnes(h, x -> x.send(text("ws", 0, " \n\t  "))).isEmpty(), "no dead letter");
            assertEquals(0, h.memory().get("ws").getLastSeq());
        }
    }

    @Test
    void bothTextAndTokensIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            TokenChunk c = text("b", 0, "hello");
            c.setTokens(List.of(104, 105));
            oneDeadLetter(h, x -> x.send(c), "exactly one of text and tokens", "malformed");
        }
    }

    @Test
    void neitherTextNorTokensIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            oneDeadLetter(h, x -> x.send(text("b", 0, null)), "exactly one of text and tokens", "malformed");
        }
    }

    @Test
    void tokenIdsOutOfTheVocabularyAreDeadLetters() {
        int vocab = TestModels.tinyRuntime().tokenizer().vocabSize();
        for (int bad : new int[] {vocab, -1, Integer.MAX_VALUE}) {
            try (TopologyHarness h = harness()) {
                TokenChunk c = text("v", 0, null);
                c.setTokens(List.of(104, bad, 105));
                oneDeadLetter(h, x -> x.send(c), "token id " + bad + " is outside the vocabulary", "bad-token");
            }
        }
    }

    @Test
    void negativeSeqIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            oneDeadLetter(h, x -> x.send(text("s", -1, "hello")), "seq must be >= 0", "malformed");
        }
    }

    /** A seq behind the stream's newest accepted one is a documented, counted drop (like a duplicate). */
    @Test
    void outOfOrderSeqIsDroppedAndCounted() {
        try (TopologyHarness h = harness()) {
            List<Dead> dead = betweenGoodOnes(h, x -> {
                x.send(text("o", 0, "zero "));
                x.send(text("o", 1, "one "));
                x.send(text("o", 2, "two "));
                x.send(text("o", 1, "one again, late "));
                x.send(text("o", 0, "zero again, later "));
            });
            assertTrue(dead.isEmpty());
            assertEquals(2, h.counter("memstream.chunks.duplicates"));
            assertEquals(2, h.memory().get("o").getLastSeq());
        }
        // behind a gap that was accepted: the late record is dropped, it cannot be absorbed out of order
        try (TopologyHarness h = harness()) {
            List<Dead> dead = betweenGoodOnes(h, x -> {
                x.send(text("o", 0, "zero "));
                x.send(text("o", 2, "two "));
                x.send(text("o", 1, "one, arriving after two "));
            });
            assertTrue(dead.isEmpty());
            assertEquals(1, h.counter("memstream.chunks.gaps"));
            assertEquals(1, h.counter("memstream.chunks.duplicates"));
        }
    }

    @Test
    void duplicateSeqIsDroppedAndCounted() {
        try (TopologyHarness h = harness()) {
            List<Dead> dead = betweenGoodOnes(h, x -> {
                x.send(text("d", 0, "zero "));
                x.send(text("d", 0, "zero "));
            });
            assertTrue(dead.isEmpty());
            assertEquals(1, h.counter("memstream.chunks.duplicates"));
        }
    }

    @Test
    void streamIdOverTheLengthLimitIsADeadLetter() {
        String longId = "s".repeat(ChunkAdmission.MAX_STREAM_ID_BYTES + 1);
        try (TopologyHarness h = harness(Map.of(TopologyConfig.RECORD_MAX_BYTES, "100000"))) {
            Dead d = oneDeadLetter(h, x -> x.send(text(longId, 0, "hello")), "257 bytes, more than the limit of 256",
                    "bad-key");
            assertTrue(d.message().length() < 200, "the reason does not repeat the id");
        }
        // the limit is in UTF-8 bytes: 86 three-byte characters are 258 bytes
        try (TopologyHarness h = harness()) {
            oneDeadLetter(h, x -> x.send(text("\u20ac".repeat(86), 0, "hello")), "258 bytes", "bad-key");
        }
        try (TopologyHarness h = harness()) {
            String atLimit = "s".repeat(ChunkAdmission.MAX_STREAM_ID_BYTES);
            assertTrue(betweenGoodOnes(h, x -> x.send(text(atLimit, 0, "hello"))).isEmpty(), "256 bytes is fine");
        }
    }

    @Test
    void emptyStreamIdIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            oneDeadLetter(h, x -> x.send(text("", 0, "hello")), "stream id is empty", "bad-key");
        }
    }

    @Test
    void negativeTemperatureIsADeadLetter() {
        try (TopologyHarness h = harness()) {
            oneDeadLetter(h, x -> x.send(generating("g", 0, "hello", sampled(8, -0.5f, 0, 1f))),
                    "temperature must be >= 0", "bad-generate");
        }
        try (TopologyHarness h = harness()) {
            oneDeadLetter(h, x -> x.send(generating("g", 0, "hello", sampled(8, Float.NaN, 0, 1f))),
                    "temperature must be >= 0", "bad-generate");
        }
    }

    @Test
    void outOfRangeTopPTopKAndMaxNewTokensAreDeadLetters() {
        List<GenerateRequest> bad = List.of(sampled(8, 0.7f, 0, 0f), sampled(8, 0.7f, 0, 1.5f),
                sampled(8, 0.7f, -1, 1f), greedy(0), greedy(-5));
        List<String> reasons = List.of("topP must be in (0, 1]", "topP must be in (0, 1]", "topK must be >= 0",
                "maxNewTokens must be at least 1", "maxNewTokens must be at least 1");
        for (int i = 0; i < bad.size(); i++) {
            GenerateRequest r = bad.get(i);
            try (TopologyHarness h = harness()) {
                oneDeadLetter(h, x -> x.send(generating("g", 0, "hello", r)), reasons.get(i), "bad-generate");
            }
        }
    }

    /**
     * A huge maxNewTokens is clamped to the model's max_new_tokens (documented; the producer cannot
     * know the deployed model) and counted in memstream.generate.clamped; the record is processed.
     */
    @Test
    void hugeMaxNewTokensIsClampedToTheModelLimitAndCounted() {
        int cap = TestModels.tinyRuntime().manifest().maxNewTokens();
        try (TopologyHarness h = harness()) {
            h.send(generating("huge", 0, "hello there", greedy(Integer.MAX_VALUE)));
            h.send(generating("cap", 0, "hello there", greedy(cap)));
            h.tick();
            List<Continuation> out = h.readAll();
            assertEquals(2, out.size());
            assertTrue(out.get(0).getTokens().size() <= cap);
            assertEquals(out.get(1).getTokens(), out.get(0).getTokens(), "same as asking for exactly the limit");
            assertEquals(1, h.counter("memstream.generate.clamped"));
            assertTrue(h.dlq.isEmpty());
        }
    }

    /** Every kind above in one run, interleaved with good records of many streams: all good ones come out. */
    @Test
    void goodRecordsInterleavedWithEveryBadKindAreAllProcessed() {
        try (TopologyHarness h = harness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "4"))) {
            byte[] magic = framed(h, text("x", 0, "x"));
            magic[0] = 0x05;
            byte[] truncated = Arrays.copyOf(framed(h, text("x", 0, "truncated")), 9);
            List<Consumer<TopologyHarness>> bad = List.of(
                    x -> sendRaw(x, "x", "plain text".getBytes(StandardCharsets.UTF_8)),
                    x -> sendRaw(x, "x", magic),
                    x -> sendRaw(x, "x", truncated),
                    x -> x.input.pipeInput(null, text("x", 0, "no key"), START),
                    x -> x.send(text("x", 0, "")),
                    x -> x.send(text("x", -4, "negative")),
                    x -> x.send(text("x", 0, null)),
                    x -> x.send(generating("x", 0, "cold", sampled(4, -1f, 0, 1f))),
                    x -> x.send(text("y".repeat(300), 0, "long id")));
            int goodCount = 0;
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < bad.size(); i++) {
                    h.send(generating("s" + i, round, "round " + round + " of stream " + i + ". ", greedy(3)));
                    goodCount++;
                    bad.get(i).accept(h);
                }
                h.tick();
            }
            h.tick();
            List<Continuation> out = h.readAll();
            assertEquals(goodCount, out.size());
            assertEquals(bad.size() * 3, h.dlq.readRecordsToList().size());
            for (int i = 0; i < bad.size(); i++) {
                assertEquals(2, h.memory().get("s" + i).getLastSeq());
            }
        }
    }

    private static void replace(byte[] haystack, String marker, byte[] with) {
        byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                System.arraycopy(with, 0, haystack, i, with.length);
                return;
            }
        }
        throw new AssertionError("marker not found");
    }
}
