package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.client.TopicCreation;
import io.memstream.model.ModelRuntime;
import io.memstream.model.TestModels;
import io.memstream.schema.Continuation;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.MemoryState;
import io.memstream.schema.TokenChunk;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The topology against a real broker, exactly-once: 50 streams x 20 chunks with generation, read
 * back read_committed; halfway the app is stopped and its local state wiped, and the restored
 * memories must continue exactly as an uninterrupted run does.
 */
class ExactlyOnceBrokerTest {

    private static final int STREAMS = 50;
    private static final int CHUNKS = 20;
    private static final int HALF = CHUNKS / 2;
    private static final String[] WORDS = {"river ", "stone ", "memory ", "kafka ", "stream ", "token ",
        "night ", "bread ", "engine ", "quiet "};

    @RegisterExtension
    static final KafkaFixture kafka = new KafkaFixture();

    @Test
    void everyChunkOnceAndMemoriesRestoreFromTheChangelog() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> settings = Map.of(
                TopologyConfig.INPUT_TOPIC, "chunks-" + run,
                TopologyConfig.OUTPUT_TOPIC, "continuations-" + run,
                TopologyConfig.DLQ_TOPIC, "dlq-" + run,
                // about 12 streams a task: full batches form (and go to the model worker,
                // batch.overlap) besides the punctuator's partial ones
                TopologyConfig.BATCH_MAX_SIZE, "4",
                TopologyConfig.BATCH_MAX_WAIT_MS, "20");
        Properties user = new Properties();
        user.putAll(settings);
        TopologyConfig config = TopologyConfig.fromProperties(user);
        MemstreamSerdes serdes = new MemstreamSerdes(Map.of("schema.registry.url", "mock://it-" + run));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(config.inputTopic(), 4, (short) 1),
                    new NewTopic(config.outputTopic(), 4, (short) 1),
                    new NewTopic(config.dlqTopic(), 1, (short) 1)));
        }
        List<TokenChunk> all = script();

        produce(config, serdes, all.stream().filter(c -> c.getSeq() < HALF).toList());
        produceRaw(config, "junk", new byte[] {0, 0, 0, 0, 7, 1, 2});

        Map<String, Continuation> seen = new HashMap<>();
        List<String> twice = new ArrayList<>();
        try (KafkaConsumer<String, Continuation> consumer = consumer(config, serdes, run)) {
            long t0 = System.nanoTime();
            Path stateA = Files.createTempDirectory("memstream-it-a");
            KafkaStreams appA = start(config, serdes, user, run, stateA);
            readUntil(consumer, STREAMS * HALF, seen, twice);
            double firstHalfSeconds = (System.nanoTime() - t0) / 1e9;
            RunningApps.stop(appA);
            deleteRecursively(stateA);

            Path stateB = Files.createTempDirectory("memstream-it-b");
            long t1 = System.nanoTime();
            KafkaStreams appB = start(config, serdes, user, run, stateB);
            double restartSeconds = (System.nanoTime() - t1) / 1e9;
            ReadOnlyKeyValueStore<String, MemoryState> restored = appB.store(StoreQueryParameters.fromNameAndType(
                    MemstreamTopology.MEMORY_STORE, QueryableStoreTypes.<String, MemoryState>keyValueStore()));
            for (int s = 0; s < STREAMS; s++) {
                MemoryState m = restored.get(stream(s));
                assertNotNull(m, "memory of " + stream(s) + " restored from the changelog");
                assertEquals(HALF - 1, m.getLastSeq());
            }
            long t2 = System.nanoTime();
            produce(config, serdes, all.stream().filter(c -> c.getSeq() >= HALF).toList());
            readUntil(consumer, STREAMS * CHUNKS, seen, twice);
            double secondHalfSeconds = (System.nanoTime() - t2) / 1e9;
            RunningApps.stop(appB);
            deleteRecursively(stateB);
            System.out.printf("broker (%s): %d continuations with generation in %.1f s (incl. app start), "
                    + "restart with empty state dir to RUNNING %.1f s, next %d in %.1f s%n", kafka.kind(),
                    STREAMS * HALF, firstHalfSeconds, restartSeconds, STREAMS * HALF, secondHalfSeconds);
        }

        assertTrue(twice.isEmpty(), "continuations seen twice: " + twice);
        assertEquals(STREAMS * CHUNKS, seen.size(), "one continuation per chunk");
        assertTrue(seen.values().stream().anyMatch(c -> c.getStats().getBatchSize() == 4),
                "full batches formed (they run on the model worker)");
        Map<String, Continuation> reference = uninterruptedRun(all);
        for (var e : reference.entrySet()) {
            Continuation actual = seen.get(e.getKey());
            assertNotNull(actual, "missing continuation " + e.getKey());
            Continuation expected = e.getValue();
            assertEquals(expected.getTokens(), actual.getTokens(), e.getKey());
            assertEquals(expected.getText(), actual.getText(), e.getKey());
            assertEquals(expected.getFinishReason(), actual.getFinishReason(), e.getKey());
            assertEquals(expected.getBitsPerByte(), actual.getBitsPerByte(), 1e-5, e.getKey());
            assertEquals(expected.getStats().getChunksAbsorbed(), actual.getStats().getChunksAbsorbed(), e.getKey());
            assertEquals(expected.getStats().getTokensAbsorbed(), actual.getStats().getTokensAbsorbed(), e.getKey());
        }
        assertDeadLetter(config);
    }

    /**
     * Chunks accepted but not yet absorbed live in the changelogged pending store: with batches
     * that never fill and a wait longer than the run, the app commits its input offsets with
     * nothing written; stopped and restarted on an empty state directory, it absorbs them all,
     * once each.
     */
    @Test
    void pendingChunksSurviveARestartWithAWipedStateDir() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Properties user = new Properties();
        user.putAll(Map.of(TopologyConfig.INPUT_TOPIC, "chunks-" + run,
                TopologyConfig.OUTPUT_TOPIC, "continuations-" + run,
                TopologyConfig.DLQ_TOPIC, "dlq-" + run,
                TopologyConfig.BATCH_MAX_SIZE, "1000",
                TopologyConfig.BATCH_MAX_WAIT_MS, "60000"));
        TopologyConfig holding = TopologyConfig.fromProperties(user);
        MemstreamSerdes serdes = new MemstreamSerdes(Map.of("schema.registry.url", "mock://it-" + run));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(holding.inputTopic(), 2, (short) 1),
                    new NewTopic(holding.outputTopic(), 2, (short) 1),
                    new NewTopic(holding.dlqTopic(), 1, (short) 1)));
            List<TokenChunk> all = script(10, 3);
            produce(holding, serdes, all);

            Path stateA = Files.createTempDirectory("memstream-it-pending-a");
            KafkaStreams appA = start(holding, serdes, user, run, stateA);
            waitForCommittedInput(admin, "memstream-it-" + run, holding.inputTopic(), all.size());
            Map<String, Continuation> seen = new HashMap<>();
            List<String> twice = new ArrayList<>();
            try (KafkaConsumer<String, Continuation> consumer = consumer(holding, serdes, run)) {
                assertTrue(consumer.poll(Duration.ofSeconds(1)).isEmpty(), "nothing absorbed while batches wait");
                RunningApps.stop(appA);
                deleteRecursively(stateA);

                user.put(TopologyConfig.BATCH_MAX_WAIT_MS, "20");
                TopologyConfig draining = TopologyConfig.fromProperties(user);
                Path stateB = Files.createTempDirectory("memstream-it-pending-b");
                KafkaStreams appB = start(draining, serdes, user, run, stateB);
                readUntil(consumer, all.size(), seen, twice);
                RunningApps.stop(appB);
                deleteRecursively(stateB);
            }
            assertTrue(twice.isEmpty(), "continuations seen twice: " + twice);
            Map<String, Continuation> reference = uninterruptedRun(all, all.size());
            assertEquals(reference.keySet(), seen.keySet());
            for (var e : reference.entrySet()) {
                assertEquals(e.getValue().getTokens(), seen.get(e.getKey()).getTokens(), e.getKey());
                assertEquals(e.getValue().getBitsPerByte(), seen.get(e.getKey()).getBitsPerByte(), 1e-5, e.getKey());
            }
        }
    }

    /** Waits until the app's committed input offsets cover every produced record. */
    private static void waitForCommittedInput(Admin admin, String group, String topic, long records) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            long committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet()
                    .stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
            if (committed >= records) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "input offsets committed: " + committed + " of " + records);
            Thread.sleep(100);
        }
    }

    /** The same input through the topology with no interruption and no batching. */
    private Map<String, Continuation> uninterruptedRun(List<TokenChunk> all) {
        return uninterruptedRun(all, STREAMS * CHUNKS);
    }

    private Map<String, Continuation> uninterruptedRun(List<TokenChunk> all, int expected) {
        Map<String, Continuation> out = new HashMap<>();
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            all.forEach(h::send);
            for (Continuation c : h.readAll()) {
                out.put(c.getStreamId() + "/" + c.getSeq(), c);
            }
        }
        assertEquals(expected, out.size());
        return out;
    }

    private static List<TokenChunk> script() {
        return script(STREAMS, CHUNKS);
    }

    private static List<TokenChunk> script(int streams, int chunks) {
        List<TokenChunk> out = new ArrayList<>();
        for (int seq = 0; seq < chunks; seq++) {
            for (int s = 0; s < streams; s++) {
                StringBuilder text = new StringBuilder();
                for (int w = 0; w < 3 + (s + seq) % 5; w++) {
                    text.append(WORDS[(s * 7 + seq * 3 + w) % WORDS.length]);
                }
                GenerateRequest gen = s % 2 == 0
                        ? GenerateRequest.newBuilder().setMaxNewTokens(4).build()
                        : GenerateRequest.newBuilder().setMaxNewTokens(6).setTemperature(0.8f).setTopP(0.9f).build();
                out.add(TokenChunk.newBuilder().setStreamId(stream(s)).setSeq(seq).setText(text.toString())
                        .setGenerate(gen).setProducedAt(Instant.ofEpochMilli(1_700_000_000_000L + seq)).build());
            }
        }
        return out;
    }

    private static String stream(int s) {
        return "doc-" + s;
    }

    private KafkaStreams start(TopologyConfig config, MemstreamSerdes serdes, Properties user, String run, Path stateDir)
            throws InterruptedException {
        Properties p = new Properties();
        p.putAll(user);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "memstream-it-" + run);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "2");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        ModelRuntime runtime = TestModels.tinyRuntime();
        return RunningApps.start(MemstreamTopology.build(config, runtime, serdes, new SimpleMeterRegistry()),
                MemstreamTopology.streamsProperties(config, p));
    }

    private void produce(TopologyConfig config, MemstreamSerdes serdes, List<TokenChunk> chunks) {
        try (KafkaProducer<String, TokenChunk> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), serdes.chunk().serializer())) {
            for (TokenChunk c : chunks) {
                producer.send(new ProducerRecord<>(config.inputTopic(), c.getStreamId(), c));
            }
            producer.flush();
        }
    }

    private void produceRaw(TopologyConfig config, String key, byte[] value) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(config.inputTopic(), key, value));
            producer.flush();
        }
    }

    private KafkaConsumer<String, Continuation> consumer(TopologyConfig config, MemstreamSerdes serdes, String run) {
        KafkaConsumer<String, Continuation> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + run,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), serdes.continuation().deserializer());
        consumer.subscribe(List.of(config.outputTopic()));
        return consumer;
    }

    private void readUntil(KafkaConsumer<String, Continuation> consumer, int total, Map<String, Continuation> seen,
                           List<String> twice) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (seen.size() < total) {
            assertTrue(System.nanoTime() < deadline, "only " + seen.size() + " of " + total + " continuations");
            for (ConsumerRecord<String, Continuation> r : consumer.poll(Duration.ofMillis(200))) {
                String id = r.value().getStreamId() + "/" + r.value().getSeq();
                if (seen.put(id, r.value()) != null) {
                    twice.add(id);
                }
            }
        }
        // Anything committed later than the last expected record would be a duplicate: look once more.
        for (ConsumerRecord<String, Continuation> r : consumer.poll(Duration.ofMillis(500))) {
            twice.add(r.value().getStreamId() + "/" + r.value().getSeq());
        }
    }

    private void assertDeadLetter(TopologyConfig config) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            var partition = new org.apache.kafka.common.TopicPartition(config.dlqTopic(), 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (dead.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(dead::add);
            }
            assertEquals(1, dead.size(), "the undecodable record, once");
            assertEquals("junk", new String(dead.get(0).key(), StandardCharsets.UTF_8));
            Map<String, String> headers = new HashMap<>();
            for (Header h : dead.get(0).headers()) {
                headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
            }
            assertEquals(config.inputTopic(), headers.get("__streams.errors.topic"));
            assertNotNull(headers.get("__streams.errors.partition"));
            assertNotNull(headers.get("__streams.errors.offset"));
            assertNotNull(headers.get("__streams.errors.message"));
        }
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertTrue(!Files.exists(dir), "state dir wiped");
    }
}
