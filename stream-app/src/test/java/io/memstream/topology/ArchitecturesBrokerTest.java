package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.client.TopicCreation;
import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelManifest;
import io.memstream.model.ModelRuntime;
import io.memstream.model.TestModels;
import io.memstream.schema.Continuation;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.MemoryState;
import io.memstream.schema.StateTensor;
import io.memstream.schema.TokenChunk;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every committed model, whatever its architecture (rmt, fam, infinity; one or several state
 * tensors), runs through the same processor against a real broker with no code of its own: its
 * continuations equal a record-at-a-time reference run and its stored memory has the manifest's
 * tensors. And a stream's memory written by one architecture is never fed to another: switching
 * the model under the same application id resets those streams (the fingerprint check).
 */
class ArchitecturesBrokerTest {

    private static final int STREAMS = 6;
    private static final int CHUNKS = 4;
    private static final String[] TEXTS = {"And God said, Let there be light: ", "and there was light. ",
        "The river ran past the stone ", "hacker: one who enjoys the intellectual challenge ",
        "memory is what the stream keeps, ", "in the beginning was the word "};

    @RegisterExtension
    static final KafkaFixture kafka = new KafkaFixture();

    @TestFactory
    Stream<DynamicTest> everyModelThroughTheProcessor() {
        return TestModels.all().stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(),
                () -> runModel(dir)));
    }

    private void runModel(Path dir) throws Exception {
        try (ModelRuntime runtime = ModelRuntime.load(dir, DeviceChoice.CPU, 1)) {
            ModelManifest manifest = runtime.manifest();
            List<TokenChunk> chunks = script(0, CHUNKS);
            Map<String, Continuation> seen;
            try (Run run = new Run()) {
                seen = runThroughBroker(run, chunks, runtime, manifest, dir);
            }
            Map<String, Continuation> reference = new HashMap<>();
            try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "1"), runtime)) {
                chunks.forEach(h::send);
                h.readAll().forEach(c -> reference.put(c.getStreamId() + "/" + c.getSeq(), c));
            }
            assertEquals(reference.keySet(), seen.keySet(), dir + ": one continuation per chunk");
            for (var e : reference.entrySet()) {
                Continuation actual = seen.get(e.getKey());
                assertEquals(e.getValue().getTokens(), actual.getTokens(), dir + " " + e.getKey());
                // Batched against one row at a time, a row's float32 results can differ in the last bits
                // (ONNX Runtime picks kernels by batch shape, docs/RELIABILITY.md); where the model's
                // state is stored as float16 (state.dtype=auto, its manifest's state_storage) such a
                // difference can straddle a float16 rounding step, one 2^-11 of a stored value, which
                // moved the infinity-former's bits per byte by 1.04e-5. fp32 noise alone stays under 1e-6.
                assertEquals(e.getValue().getBitsPerByte(), actual.getBitsPerByte(), 1e-4, dir + " " + e.getKey());
                assertEquals(manifest.modelId(), actual.getModelId(), dir + " " + e.getKey());
            }
        }
    }

    /** Publishes the chunks, runs the app over them and returns the continuations it committed. */
    private static Map<String, Continuation> runThroughBroker(Run run, List<TokenChunk> chunks, ModelRuntime runtime,
            ModelManifest manifest, Path dir) throws Exception {
        run.createTopics();
        run.produce(chunks);
        Path stateDir = Files.createTempDirectory("memstream-arch");
        KafkaStreams app = run.start(runtime, stateDir, new SimpleMeterRegistry());
        try {
            Map<String, Continuation> seen = run.readUntil(chunks.size());
            ReadOnlyKeyValueStore<String, MemoryState> store = app.store(StoreQueryParameters.fromNameAndType(
                    MemstreamTopology.MEMORY_STORE, QueryableStoreTypes.<String, MemoryState>keyValueStore()));
            for (int s = 0; s < STREAMS; s++) {
                MemoryState m = store.get(stream(s));
                assertNotNull(m, dir + ": memory of " + stream(s));
                assertEquals(manifest.fingerprint(), m.getModelFingerprint());
                assertEquals(CHUNKS - 1, m.getLastSeq());
                assertEquals(manifest.state().stream().map(ModelManifest.StateSpec::name).toList(),
                        m.getTensors().stream().map(StateTensor::getName).toList(), dir + ": state tensors");
            }
            return seen;
        } finally {
            RunningApps.stop(app);
            deleteRecursively(stateDir);
        }
    }

    @Test
    void anotherArchitecturesMemoryIsResetNotFedToTheModel() throws Exception {
        Path famDir = TestModels.repoRoot().resolve("models/tiny-fam");
        Path infDir = TestModels.repoRoot().resolve("models/tiny-infinity");
        try (ModelRuntime fam = ModelRuntime.load(famDir, DeviceChoice.CPU, 1);
             ModelRuntime inf = ModelRuntime.load(infDir, DeviceChoice.CPU, 1)) {
            assertNotEquals(fam.manifest().fingerprint(), inf.manifest().fingerprint());
            Path stateDir = Files.createTempDirectory("memstream-arch-switch");
            try (Run run = new Run()) {
                run.createTopics();
                run.produce(script(0, 2));
                KafkaStreams first = run.start(fam, stateDir, new SimpleMeterRegistry());
                try {
                    run.readUntil(STREAMS * 2);
                } finally {
                    RunningApps.stop(first);
                }

                // the same application id and state directory, now serving the infinity-former
                SimpleMeterRegistry meters = new SimpleMeterRegistry();
                run.produce(script(2, 4));
                KafkaStreams second = run.start(inf, stateDir, meters);
                try {
                    Map<String, Continuation> seen = run.readUntil(STREAMS * 4);
                    ReadOnlyKeyValueStore<String, MemoryState> store = second.store(StoreQueryParameters.fromNameAndType(
                            MemstreamTopology.MEMORY_STORE, QueryableStoreTypes.<String, MemoryState>keyValueStore()));
                    for (int s = 0; s < STREAMS; s++) {
                        MemoryState m = store.get(stream(s));
                        assertEquals(inf.manifest().fingerprint(), m.getModelFingerprint(), stream(s));
                        assertEquals(List.of("ltm", "stm"), m.getTensors().stream().map(StateTensor::getName).toList());
                        assertEquals(3, m.getLastSeq(), "the stream keeps its seq across the reset");
                        for (int seq = 2; seq < 4; seq++) {
                            assertEquals(inf.manifest().modelId(), seen.get(stream(s) + "/" + seq).getModelId());
                        }
                    }
                    assertEquals(STREAMS, meters.find("memstream.memory.resets").counter().count(), "one reset per stream");
                } finally {
                    RunningApps.stop(second);
                }
            } finally {
                deleteRecursively(stateDir);
            }
        }
    }

    /** One run's topics, producer and reader; names are unique per run so tests never share data. */
    private static final class Run implements AutoCloseable {
        final String id = UUID.randomUUID().toString().substring(0, 8);
        final Properties user = new Properties();
        final TopologyConfig config;
        final MemstreamSerdes serdes = new MemstreamSerdes(Map.of("schema.registry.url", "mock://arch-" + id));
        final Map<String, Continuation> seen = new HashMap<>();
        private KafkaConsumer<String, Continuation> consumer;

        Run() {
            user.putAll(Map.of(TopologyConfig.INPUT_TOPIC, "chunks-" + id,
                    TopologyConfig.OUTPUT_TOPIC, "continuations-" + id,
                    TopologyConfig.DLQ_TOPIC, "dlq-" + id,
                    TopologyConfig.BATCH_MAX_SIZE, "8",
                    TopologyConfig.BATCH_MAX_WAIT_MS, "20"));
            config = TopologyConfig.fromProperties(user);
        }

        void createTopics() throws Exception {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(config.inputTopic(), 2, (short) 1),
                        new NewTopic(config.outputTopic(), 2, (short) 1),
                        new NewTopic(config.dlqTopic(), 1, (short) 1)));
            }
        }

        void produce(List<TokenChunk> chunks) {
            try (KafkaProducer<String, TokenChunk> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), serdes.chunk().serializer())) {
                chunks.forEach(c -> producer.send(new ProducerRecord<>(config.inputTopic(), c.getStreamId(), c)));
                producer.flush();
            }
        }

        KafkaStreams start(ModelRuntime runtime, Path stateDir, SimpleMeterRegistry meters) throws InterruptedException {
            Properties p = new Properties();
            p.putAll(user);
            p.put(StreamsConfig.APPLICATION_ID_CONFIG, "memstream-arch-" + id);
            p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
            p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
            return RunningApps.start(MemstreamTopology.build(config, runtime, serdes, meters),
                    MemstreamTopology.streamsProperties(config, p));
        }

        /** Reads committed continuations until `total` distinct ones were seen; a duplicate fails. */
        Map<String, Continuation> readUntil(int total) {
            if (consumer == null) {
                consumer = new KafkaConsumer<>(Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG, "reader-" + id,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                        new StringDeserializer(), serdes.continuation().deserializer());
                consumer.subscribe(List.of(config.outputTopic()));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (seen.size() < total) {
                assertTrue(System.nanoTime() < deadline, "only " + seen.size() + " of " + total + " continuations");
                for (ConsumerRecord<String, Continuation> r : consumer.poll(Duration.ofMillis(200))) {
                    String key = r.value().getStreamId() + "/" + r.value().getSeq();
                    assertEquals(null, seen.put(key, r.value()), "continuation seen twice: " + key);
                }
            }
            return seen;
        }

        @Override
        public void close() {
            if (consumer != null) {
                consumer.close();
            }
        }
    }

    private static List<TokenChunk> script(int fromSeq, int toSeq) {
        List<TokenChunk> out = new ArrayList<>();
        for (int seq = fromSeq; seq < toSeq; seq++) {
            for (int s = 0; s < STREAMS; s++) {
                GenerateRequest gen = s % 2 == 0
                        ? GenerateRequest.newBuilder().setMaxNewTokens(6).build()
                        : GenerateRequest.newBuilder().setMaxNewTokens(6).setTemperature(0.9f).setTopP(0.95f).build();
                out.add(TokenChunk.newBuilder().setStreamId(stream(s)).setSeq(seq)
                        .setText(TEXTS[(s + seq) % TEXTS.length]).setGenerate(gen)
                        .setProducedAt(Instant.ofEpochMilli(1_700_000_000_000L + seq)).build());
            }
        }
        return out;
    }

    private static String stream(int s) {
        return "doc-" + s;
    }

    private static void deleteRecursively(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
