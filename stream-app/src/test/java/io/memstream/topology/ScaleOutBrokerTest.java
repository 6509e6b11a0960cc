package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.client.TopicCreation;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
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
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out on a real broker: an input topic of 6 partitions and 3 instances of the processor with
 * one application id and a standby replica per task. The partitions are shared among the three;
 * closing one hands its streams to the other two with their memories intact, and every chunk's
 * continuation appears once, equal to what a single instance computes.
 */
class ScaleOutBrokerTest {
    private static final int PARTITIONS = 6;
    private static final int INSTANCES = 3;
    private static final int STREAMS = 18;
    private static final int CHUNKS = 6;
    private static final int HALF = CHUNKS / 2;
    private static final String[] WORDS = {"river ", "stone ", "memory ", "kafka ", "stream ", "token ", "night "};

    @RegisterExtension
    static final KafkaFixture kafka = new KafkaFixture();

    @TempDir
    Path dir;

    @Test
    void partitionsAreSharedAndAClosedInstancesStreamsMoveWithTheirMemories() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Properties user = new Properties();
        user.putAll(Map.of(TopologyConfig.INPUT_TOPIC, "chunks-" + run, TopologyConfig.OUTPUT_TOPIC, "continuations-" + run,
                TopologyConfig.DLQ_TOPIC, "dlq-" + run, TopologyConfig.BATCH_MAX_SIZE, "8",
                TopologyConfig.BATCH_MAX_WAIT_MS, "20"));
        TopologyConfig config = TopologyConfig.fromProperties(user);
        MemstreamSerdes serdes = new MemstreamSerdes(Map.of("schema.registry.url", "mock://scale-" + run));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(config.inputTopic(), PARTITIONS, (short) 1),
                    new NewTopic(config.outputTopic(), PARTITIONS, (short) 1),
                    new NewTopic(config.dlqTopic(), 1, (short) 1)));
        }
        List<TokenChunk> all = script();
        Set<Integer> used = new HashSet<>();
        for (int s = 0; s < STREAMS; s++) {
            used.add(partitionOf(stream(s)));
        }
        assertEquals(PARTITIONS, used.size(), "the stream ids cover every partition");

        List<KafkaStreams> instances = new ArrayList<>();
        Map<String, Continuation> seen = new HashMap<>();
        List<String> twice = new ArrayList<>();
        try (KafkaConsumer<String, Continuation> reader = reader(config, serdes, run)) {
            for (int i = 0; i < INSTANCES; i++) {
                instances.add(start(config, serdes, user, run, dir.resolve("state-" + i)));
            }
            awaitAssignment(instances, true);
            for (KafkaStreams instance : instances) {
                assertTrue(!activePartitions(instance).isEmpty(), "every instance works on some partitions");
            }

            produce(config, serdes, all.stream().filter(c -> c.getSeq() < HALF).toList());
            readUntil(reader, STREAMS * HALF, seen, twice);

            // The instance with the most partitions leaves; the other two hold standby copies of its stores.
            KafkaStreams leaving = instances.stream().max((a, b) -> Integer.compare(activePartitions(a).size(),
                    activePartitions(b).size())).orElseThrow();
            Set<Integer> moved = activePartitions(leaving);
            List<KafkaStreams> staying = instances.stream().filter(k -> k != leaving).toList();
            Set<Integer> standbys = new TreeSet<>();
            staying.forEach(k -> standbys.addAll(partitions(k, false)));
            assertTrue(standbys.containsAll(moved), "standby copies of " + moved + " on the others: " + standbys);
            RunningApps.stop(leaving);
            instances.remove(leaving);
            awaitAssignment(instances, false);

            for (int s = 0; s < STREAMS; s++) {
                if (moved.contains(partitionOf(stream(s)))) {
                    MemoryState memory = activeMemory(instances, stream(s));
                    assertNotNull(memory, stream(s) + "'s memory at its new owner");
                    assertEquals(HALF - 1, memory.getLastSeq(), stream(s));
                    assertEquals(HALF, memory.getChunksAbsorbed(), stream(s));
                }
            }

            produce(config, serdes, all.stream().filter(c -> c.getSeq() >= HALF).toList());
            readUntil(reader, STREAMS * CHUNKS, seen, twice);
        } finally {
            instances.forEach(k -> k.close(Duration.ofSeconds(30)));
        }

        assertTrue(twice.isEmpty(), "continuations seen twice: " + twice);
        Map<String, Continuation> single = singleInstanceRun(all);
        assertEquals(single.keySet(), seen.keySet(), "one continuation per chunk");
        for (var e : single.entrySet()) {
            Continuation expected = e.getValue();
            Continuation actual = seen.get(e.getKey());
            assertEquals(expected.getTokens(), actual.getTokens(), e.getKey());
            assertEquals(expected.getText(), actual.getText(), e.getKey());
            assertEquals(expected.getBitsPerByte(), actual.getBitsPerByte(), 1e-5, e.getKey());
            assertEquals(expected.getStats().getChunksAbsorbed(), actual.getStats().getChunksAbsorbed(), e.getKey());
            assertEquals(expected.getStats().getTokensAbsorbed(), actual.getStats().getTokensAbsorbed(), e.getKey());
        }
    }

    /** The partition the default partitioner (Kafka's and Streams') gives a stream id. */
    private static int partitionOf(String streamId) {
        return Utils.toPositive(Utils.murmur2(streamId.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    private KafkaStreams start(TopologyConfig config, MemstreamSerdes serdes, Properties user, String run, Path state)
            throws Exception {
        Properties p = new Properties();
        p.putAll(user);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "memstream-scale-" + run);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(StreamsConfig.STATE_DIR_CONFIG, Files.createDirectories(state).toString());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "1");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        KafkaStreams app = new KafkaStreams(MemstreamTopology.build(config, TestModels.tinyRuntime(), serdes,
                new SimpleMeterRegistry()), MemstreamTopology.streamsProperties(config, p));
        app.start();
        return app;
    }

    /**
     * Waits until every instance runs and together they work on all partitions, each once (and,
     * when asked, every task also has its standby).
     */
    private static void awaitAssignment(List<KafkaStreams> instances, boolean withStandbys) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            List<Integer> active = new ArrayList<>();
            int standby = 0;
            boolean running = true;
            for (KafkaStreams k : instances) {
                running &= k.state() == KafkaStreams.State.RUNNING;
                active.addAll(activePartitions(k));
                standby += partitions(k, false).size();
            }
            last = "states " + instances.stream().map(KafkaStreams::state).toList() + ", active " + active
                    + ", standbys " + standby;
            if (running && active.size() == PARTITIONS && new HashSet<>(active).size() == PARTITIONS
                    && (!withStandbys || standby == PARTITIONS)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no stable assignment within 120 s: " + last);
    }

    private static Set<Integer> activePartitions(KafkaStreams k) {
        return partitions(k, true);
    }

    private static Set<Integer> partitions(KafkaStreams k, boolean active) {
        Set<Integer> out = new TreeSet<>();
        k.metadataForLocalThreads().forEach(thread -> (active ? thread.activeTasks() : thread.standbyTasks())
                .stream().map(TaskMetadata::taskId).forEach(task -> out.add(task.partition())));
        return out;
    }

    /** The memory of a stream as its active owner holds it now. */
    private static MemoryState activeMemory(List<KafkaStreams> instances, String streamId) {
        int partition = partitionOf(streamId);
        for (KafkaStreams k : instances) {
            if (activePartitions(k).contains(partition)) {
                ReadOnlyKeyValueStore<String, MemoryState> store = k.store(StoreQueryParameters.fromNameAndType(
                        MemstreamTopology.MEMORY_STORE, QueryableStoreTypes.<String, MemoryState>keyValueStore())
                        .withPartition(partition));
                return store.get(streamId);
            }
        }
        throw new AssertionError("no instance owns " + streamId);
    }

    /** The same input through one instance of the topology, per record, without any hand-over. */
    private static Map<String, Continuation> singleInstanceRun(List<TokenChunk> all) {
        Map<String, Continuation> out = new HashMap<>();
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            all.forEach(h::send);
            for (Continuation c : h.readAll()) {
                out.put(c.getStreamId() + "/" + c.getSeq(), c);
            }
        }
        assertEquals(all.size(), out.size());
        return out;
    }

    private static List<TokenChunk> script() {
        List<TokenChunk> out = new ArrayList<>();
        for (int seq = 0; seq < CHUNKS; seq++) {
            for (int s = 0; s < STREAMS; s++) {
                StringBuilder text = new StringBuilder();
                for (int w = 0; w < 2 + (s + seq) % 4; w++) {
                    text.append(WORDS[(s * 5 + seq * 3 + w) % WORDS.length]);
                }
                GenerateRequest gen = s % 2 == 0 ? GenerateRequest.newBuilder().setMaxNewTokens(3).build()
                        : GenerateRequest.newBuilder().setMaxNewTokens(4).setTemperature(0.8f).setTopP(0.9f).build();
                out.add(TokenChunk.newBuilder().setStreamId(stream(s)).setSeq(seq).setText(text.toString())
                        .setGenerate(seq % 2 == 1 ? gen : null)
                        .setProducedAt(Instant.ofEpochMilli(1_700_000_000_000L + seq)).build());
            }
        }
        return out;
    }

    private static String stream(int s) {
        return "scroll-" + s;
    }

    private static void produce(TopologyConfig config, MemstreamSerdes serdes, List<TokenChunk> chunks) {
        try (KafkaProducer<String, TokenChunk> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), serdes.chunk().serializer())) {
            chunks.forEach(c -> producer.send(new ProducerRecord<>(config.inputTopic(), c.getStreamId(), c)));
            producer.flush();
        }
    }

    private static KafkaConsumer<String, Continuation> reader(TopologyConfig config, MemstreamSerdes serdes, String run) {
        KafkaConsumer<String, Continuation> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "scale-reader-" + run,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), serdes.continuation().deserializer());
        consumer.subscribe(List.of(config.outputTopic()));
        return consumer;
    }

    private static void readUntil(KafkaConsumer<String, Continuation> reader, int total, Map<String, Continuation> seen,
                                  List<String> twice) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (seen.size() < total) {
            assertTrue(System.nanoTime() < deadline, "only " + seen.size() + " of " + total + " continuations");
            for (ConsumerRecord<String, Continuation> r : reader.poll(Duration.ofMillis(200))) {
                String id = r.value().getStreamId() + "/" + r.value().getSeq();
                if (seen.put(id, r.value()) != null) {
                    twice.add(id);
                }
            }
        }
        // A duplicate committed after the last expected record would show up now: look once more.
        for (ConsumerRecord<String, Continuation> r : reader.poll(Duration.ofMillis(500))) {
            twice.add(r.value().getStreamId() + "/" + r.value().getSeq());
        }
    }
}
