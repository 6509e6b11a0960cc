package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.client.TextChunker;
import io.memstream.client.TopicCreation;
import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.registry.MockSchemaRegistry;
import io.memstream.registry.RegistryAvroSerde;
import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import io.memstream.schema.TokenChunk;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code publish} (and its older name {@code produce}), {@code follow} (and {@code consume}) and
 * {@code run}'s configuration check, against a real in-JVM broker.
 */
class ClientCommandsTest {
    private static final String SCOPE = "client-commands";
    private static EmbeddedKafkaBroker broker;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
        MockSchemaRegistry.dropScope(SCOPE);
    }

    private static int memstream(StringWriter out, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-D", "bootstrap.servers=" + broker.bootstrapServers(),
                "-D", "schema.registry.url=mock://" + SCOPE));
        return Main.execute(new PrintWriter(out, true), new PrintWriter(out, true), all.toArray(String[]::new));
    }

    @Test
    void produceSendsAFileAsOneStreamOfChunks() throws Exception {
        String text = "And the LORD spake unto Moses, saying, Speak unto the children of Israel. ".repeat(4);
        Path file = Files.writeString(dir.resolve("doc.txt"), text);
        StringWriter out = new StringWriter();
        int exit = memstream(out, "produce", file.toString(), "--stream", "exodus", "--chunk-bytes", "64",
                "--generate", "last_chunk", "--end-of-stream", "-D", "input.topic=produce-test");
        assertEquals(0, exit, out.toString());
        assertTrue(out.toString().contains("to produce-test"), out.toString());

        List<TokenChunk> chunks = new ArrayList<>();
        try (KafkaConsumer<String, TokenChunk> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "produce-test", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new RegistryAvroSerde<>(TokenChunk.class,
                        Map.of("schema.registry.url", "mock://" + SCOPE), false).deserializer())) {
            consumer.subscribe(List.of("produce-test"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && (chunks.isEmpty() || !chunks.get(chunks.size() - 1).getEndOfStream())) {
                for (ConsumerRecord<String, TokenChunk> record : consumer.poll(Duration.ofMillis(200))) {
                    assertEquals("exodus", record.key());
                    chunks.add(record.value());
                }
            }
        }
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < chunks.size(); i++) {
            assertEquals(i, chunks.get(i).getSeq());
            assertEquals(i == chunks.size() - 1, chunks.get(i).getEndOfStream());
            assertEquals(i == chunks.size() - 1, chunks.get(i).getGenerate() != null, "generate on the last chunk");
            assertNull(chunks.get(i).getTokens());
            joined.append(chunks.get(i).getText());
        }
        assertEquals(text, joined.toString());
        assertTrue(chunks.size() >= text.length() / 64);
    }

    @Test
    void publishSendsADirectoryAsOneStreamPerFileWithGenerationEveryNthChunk() throws Exception {
        Path books = Files.createDirectories(dir.resolve("books/psalms"));
        String genesis = "In the beginning God created the heaven and the earth. ".repeat(5);
        String psalm = "The LORD is my shepherd; I shall not want. He maketh me to lie down. ".repeat(3);
        Files.writeString(dir.resolve("books/genesis.txt"), genesis);
        Files.writeString(books.resolve("23.txt"), psalm);
        Files.writeString(dir.resolve("books/.hidden"), "not a document");
        StringWriter out = new StringWriter();
        int exit = memstream(out, "publish", dir.resolve("books").toString(), "--chunk-bytes", "40",
                "--generate-every", "2", "--no-generate-last", "--max-new-tokens", "7", "--temperature", "0.5",
                "--top-k", "5", "--stop", "Selah", "--progress", "lines", "-D", "input.topic=publish-dir");
        assertEquals(0, exit, out.toString());
        assertTrue(out.toString().contains("sent " + TextChunker.split(genesis, 40).size() + " chunks of stream genesis"),
                out.toString());
        assertTrue(out.toString().contains("chunks of stream psalms/23"), out.toString());
        assertTrue(out.toString().matches("(?s).*published .* of .*chunks/s.*"), "progress lines:\n" + out);

        Map<String, List<TokenChunk>> byStream = readChunks("publish-dir", 2, genesis, psalm);
        assertEquals(List.of("genesis", "psalms/23"), byStream.keySet().stream().sorted().toList());
        assertChunks(byStream.get("genesis"), genesis);
        assertChunks(byStream.get("psalms/23"), psalm);
        TokenChunk second = byStream.get("genesis").get(1);
        assertEquals(7, second.getGenerate().getMaxNewTokens());
        assertEquals(0.5f, second.getGenerate().getTemperature());
        assertEquals(5, second.getGenerate().getTopK());
        assertEquals(List.of("Selah"), second.getGenerate().getStopSequences());
    }

    /** Every chunk in seq order from 0, text intact, a generate request on every second chunk only. */
    private static void assertChunks(List<TokenChunk> chunks, String text) {
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < chunks.size(); i++) {
            assertEquals(i, chunks.get(i).getSeq());
            assertEquals(i % 2 == 1, chunks.get(i).getGenerate() != null, "generate on chunk " + i);
            assertFalse(chunks.get(i).getEndOfStream());
            joined.append(chunks.get(i).getText());
        }
        assertEquals(text, joined.toString());
    }

    @Test
    void publishReadsStandardInputUnderTheGivenStreamId() throws Exception {
        String text = "Blessed is the man that walketh not in the counsel of the ungodly. ".repeat(2);
        java.io.InputStream stdin = System.in;
        StringWriter out = new StringWriter();
        int exit;
        try {
            System.setIn(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            exit = memstream(out, "publish", "-", "--stream", "psalm-1", "--chunk-bytes", "64", "--end-of-stream",
                    "--progress", "none", "-D", "input.topic=publish-stdin");
        } finally {
            System.setIn(stdin);
        }
        assertEquals(0, exit, out.toString());
        List<TokenChunk> chunks = readChunks("publish-stdin", 1, text).get("psalm-1");
        assertEquals(text, String.join("", chunks.stream().map(c -> c.getText().toString()).toList()));
        assertTrue(chunks.get(chunks.size() - 1).getEndOfStream());
        assertTrue(chunks.get(chunks.size() - 1).getGenerate() != null, "generation after the last chunk by default");
        assertEquals(1, chunks.stream().filter(c -> c.getGenerate() != null).count());
    }

    @Test
    void publishingStdinWithoutAStreamIdIsAUsageError() {
        StringWriter out = new StringWriter();
        int exit = memstream(out, "publish", "-", "-D", "input.topic=publish-stdin");
        assertEquals(2, exit, out.toString());
        assertTrue(out.toString().contains("give --stream"), out.toString());
    }

    /** The chunks of {@code streams} streams read back from a topic, by stream, until their texts are complete. */
    private static Map<String, List<TokenChunk>> readChunks(String topic, int streams, String... texts) {
        long expectedBytes = java.util.Arrays.stream(texts).mapToLong(String::length).sum();
        Map<String, List<TokenChunk>> byStream = new java.util.TreeMap<>();
        try (KafkaConsumer<String, TokenChunk> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, topic + "-reader", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new RegistryAvroSerde<>(TokenChunk.class,
                        Map.of("schema.registry.url", "mock://" + SCOPE), false).deserializer())) {
            consumer.subscribe(List.of(topic));
            long bytes = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && bytes < expectedBytes) {
                for (ConsumerRecord<String, TokenChunk> record : consumer.poll(Duration.ofMillis(200))) {
                    assertEquals(record.key(), record.value().getStreamId().toString());
                    byStream.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value());
                    bytes += record.value().getText().length();
                }
            }
        }
        assertEquals(streams, byStream.size(), "streams: " + byStream.keySet());
        return byStream;
    }

    @Test
    void followPrintsOneStreamAsJsonLines() throws Exception {
        try (KafkaProducer<String, Continuation> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                new RegistryAvroSerde<>(Continuation.class, Map.of("schema.registry.url", "mock://" + SCOPE), false)
                        .serializer())) {
            for (String stream : List.of("psalm", "proverb", "psalm")) {
                producer.send(new ProducerRecord<>("follow-test", stream, continuation(stream, 4, "amen")));
            }
        }
        StringWriter out = new StringWriter();
        int exit = memstream(out, "follow", "--stream", "psalm", "--json", "--from-beginning", "--idle-timeout-s", "2",
                "-D", "output.topic=follow-test");
        assertEquals(0, exit, out.toString());
        List<String> lines = out.toString().lines().toList();
        assertEquals(2, lines.size(), out.toString());
        for (String line : lines) {
            com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            assertEquals("psalm", json.get("streamId").asText());
            assertEquals(4, json.get("seq").asLong());
            assertEquals("amen", json.get("text").asText());
            assertEquals("STOP", json.get("finishReason").asText());
            assertEquals(1.25, json.get("bitsPerByte").asDouble());
            assertEquals(30, json.get("stats").get("tokensAbsorbed").asLong());
            assertTrue(json.has("offset") && json.has("partition"), line);
        }
    }

    /** With --stream, follow reads the one partition the stream's continuations go to, and finds them all. */
    @Test
    void followOfOneStreamReadsItsPartitionOfAManyPartitionTopic() throws Exception {
        String topic = "follow-partitioned";
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(topic, 4, (short) 1)));
        }
        Map<String, java.util.Set<Integer>> partitionsOf = new java.util.HashMap<>();
        try (KafkaProducer<String, Continuation> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                new RegistryAvroSerde<>(Continuation.class, Map.of("schema.registry.url", "mock://" + SCOPE), false)
                        .serializer())) {
            for (int i = 0; i < 24; i++) {
                String stream = "doc-" + (i % 12);
                int partition = producer.send(new ProducerRecord<>(topic, stream, continuation(stream, i, "amen")))
                        .get().partition();
                partitionsOf.computeIfAbsent(stream, k -> new java.util.TreeSet<>()).add(partition);
            }
        }
        assertTrue(partitionsOf.values().stream().flatMap(java.util.Set::stream).distinct().count() > 1,
                "the streams spread over several partitions: " + partitionsOf);
        for (String stream : List.of("doc-0", "doc-5", "doc-11")) {
            StringWriter out = new StringWriter();
            int exit = memstream(out, "follow", "--stream", stream, "--json", "--from-beginning", "--idle-timeout-s", "2",
                    "-D", "output.topic=" + topic);
            assertEquals(0, exit, out.toString());
            List<String> lines = out.toString().lines().toList();
            assertEquals(2, lines.size(), stream + ": " + out);
            for (String line : lines) {
                com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
                assertEquals(stream, json.get("streamId").asText());
                assertEquals(partitionsOf.get(stream), java.util.Set.of(json.get("partition").asInt()));
            }
        }
    }

    private static Continuation continuation(String stream, long seq, String text) {
        return Continuation.newBuilder().setStreamId(stream).setSeq(seq)
                .setText(text).setFinishReason(FinishReason.STOP).setModelId("test")
                .setBitsPerByte(1.25).setStats(ChunkStats.newBuilder().setChunkTokens(10).setBatchSize(1)
                        .setInferenceMillis(3.5).setChunksAbsorbed(3).setTokensAbsorbed(30).build()).build();
    }

    @Test
    void consumePrintsContinuationsReadably() {
        Continuation continuation = Continuation.newBuilder().setStreamId("psalm").setSeq(2)
                .setText("I shall not want.\n").setFinishReason(FinishReason.STOP).setModelId("test")
                .setBitsPerByte(1.25).setStats(ChunkStats.newBuilder().setChunkTokens(10).setBatchSize(1)
                        .setInferenceMillis(3.5).setChunksAbsorbed(3).setTokensAbsorbed(30).build()).build();
        try (KafkaProducer<String, Continuation> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                new RegistryAvroSerde<>(Continuation.class, Map.of("schema.registry.url", "mock://" + SCOPE), false)
                        .serializer())) {
            producer.send(new ProducerRecord<>("consume-test", "psalm", continuation));
        }
        StringWriter out = new StringWriter();
        int exit = memstream(out, "consume", "--from-beginning", "--max", "1", "-D", "output.topic=consume-test");
        assertEquals(0, exit, out.toString());
        assertTrue(out.toString().matches("(?s)psalm +seq +2 +1\\.250 bits/byte +3\\.5 ms +-> \"I shall not want\\.\\\\n\" "
                + "\\[stop\\]\\R"), out.toString());
    }

    @Test
    void runRejectsABadConfigurationBeforeStarting() {
        StringWriter out = new StringWriter();
        int exit = memstream(out, "run", "-D", "device=tpu", "-D", "batch.max.size=0",
                "-D", "model.dir=" + DemoCommandTest.TINY);
        assertEquals(Main.CONFIG_ERROR, exit, out.toString());
        assertTrue(out.toString().contains("device must be cpu, gpu or auto"), out.toString());
        assertTrue(out.toString().contains("batch.max.size"), out.toString());
    }

    @Test
    void deadLettersPrintWhereAndWhy() {
        assertEquals("bad  from chunks-1@42 (19 bytes): org.apache.kafka.common.errors.SerializationException: "
                + "no magic byte", FollowCommand.format(new io.memstream.client.DeadLetterReader.DeadLetter("bad",
                "chunks", "1", "42", "org.apache.kafka.common.errors.SerializationException", "no magic byte", 19)));
    }

    @Test
    void consumingAMissingTopicSaysSo() {
        StringWriter out = new StringWriter();
        int exit = memstream(out, "consume", "--max", "1", "-D", "output.topic=no-such-topic");
        assertEquals(Main.CONFIG_ERROR, exit, out.toString());
        assertTrue(out.toString().contains("topic 'no-such-topic' does not exist on " + broker.bootstrapServers()),
                out.toString());
    }
}
