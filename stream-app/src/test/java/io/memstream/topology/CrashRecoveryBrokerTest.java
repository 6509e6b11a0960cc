package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.client.TopicCreation;
import io.memstream.model.TestModels;
import io.memstream.schema.Continuation;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kafka's own exactly-once check, small: the processor runs in a child JVM that is killed with
 * SIGKILL while it works, then restarted on the same state directory, several times; everything
 * read back read_committed must be each expected continuation exactly once, equal to a run that
 * never crashed.
 */
class CrashRecoveryBrokerTest {

    private static final int STREAMS = 24;
    private static final int CHUNKS = 12;
    private static final int WAVES = 3;

    @RegisterExtension
    static final KafkaFixture kafka = new KafkaFixture();

    @Test
    void killedAndRestartedProcessorWritesEveryContinuationOnce() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String input = "chunks-" + run;
        String output = "continuations-" + run;
        String dlq = "dlq-" + run;
        Properties user = new Properties();
        user.putAll(Map.of(TopologyConfig.INPUT_TOPIC, input, TopologyConfig.OUTPUT_TOPIC, output,
                TopologyConfig.DLQ_TOPIC, dlq));
        TopologyConfig config = TopologyConfig.fromProperties(user);
        MemstreamSerdes serdes = new MemstreamSerdes(Map.of("schema.registry.url", "mock://crash-" + run));
        ProcessorChildMain.registerInOrder(serdes, config);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(input, 4, (short) 1),
                    new NewTopic(output, 4, (short) 1),
                    new NewTopic(dlq, 1, (short) 1)));
        }
        List<TokenChunk> all = script();
        Path stateDir = Files.createTempDirectory("memstream-crash");
        Map<String, Continuation> seen = new HashMap<>();
        List<String> twice = new ArrayList<>();
        int kills = 0;
        try (KafkaConsumer<String, Continuation> committed = consumer(serdes, output, "read_committed");
             KafkaConsumer<String, Continuation> progress = consumer(serdes, output, "read_uncommitted")) {
            for (int wave = 0; wave < WAVES; wave++) {
                int w = wave;
                produce(serdes, input, all.stream().filter(c -> c.getSeq() * WAVES / CHUNKS == w).toList());
                Process child = startChild(run, stateDir, input, output, dlq);
                if (wave == 0) {
                    // before anything is committed: its transaction is aborted, the work redone
                    waitForOutput(progress, child);
                } else {
                    // after part of the wave is committed: the restart resumes from restored memories
                    int target = seen.size() + STREAMS;
                    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                    while (seen.size() < target) {
                        assertTrue(child.isAlive() && System.nanoTime() < deadline, "no committed progress");
                        drain(committed, seen, twice, Duration.ofMillis(20));
                    }
                }
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                kills++;
                drain(committed, seen, twice, Duration.ofMillis(300));
                System.out.printf("crash test: wave %d killed, %d read_committed so far%n", wave, seen.size());
            }
            Process last = startChild(run, stateDir, input, output, dlq);
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                long nextReport = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (seen.size() < all.size()) {
                    if (System.nanoTime() > nextReport) {
                        nextReport = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                        diagnose(run, input, seen.size());
                    }
                    assertTrue(System.nanoTime() < deadline, "only " + seen.size() + " of " + all.size());
                    assertTrue(last.isAlive(), "the processor died; see target/crash-child-" + run + ".log");
                    drain(committed, seen, twice, Duration.ofMillis(200));
                }
                drain(committed, seen, twice, Duration.ofSeconds(1));
            } finally {
                last.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
        System.out.printf("crash test: %d SIGKILLs, %d continuations read_committed%n", kills, seen.size());
        assertTrue(twice.isEmpty(), "continuations seen twice: " + twice);
        assertEquals(all.size(), seen.size());
        assertTrue(seen.values().stream().anyMatch(c -> c.getStats().getBatchSize() == 4),
                "full batches formed (they run on the model worker)");
        Map<String, Continuation> reference = new HashMap<>();
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            all.forEach(h::send);
            h.readAll().forEach(c -> reference.put(c.getStreamId() + "/" + c.getSeq(), c));
        }
        for (var e : reference.entrySet()) {
            Continuation actual = seen.get(e.getKey());
            assertNotNull(actual, e.getKey());
            assertEquals(e.getValue().getTokens(), actual.getTokens(), e.getKey());
            assertEquals(e.getValue().getBitsPerByte(), actual.getBitsPerByte(), 1e-5, e.getKey());
            assertEquals(e.getValue().getStats().getChunksAbsorbed(), actual.getStats().getChunksAbsorbed());
        }
    }

    /** Progress report while waiting: open transactions and the app's committed input offsets. */
    private void diagnose(String run, String input, int seen) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            var tx = admin.listTransactions().all().get();
            var offsets = admin.listConsumerGroupOffsets("memstream-crash-" + run).partitionsToOffsetAndMetadata().get();
            System.out.printf("DIAG seen=%d tx=%s offsets=%s%n", seen, tx, offsets);
        }
    }

    private Process startChild(String run, Path stateDir, String input, String output, String dlq) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        File log = new File("target/crash-child-" + run + ".log");
        return new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "-Dmemstream.repo.root=" + TestModels.repoRoot(), ProcessorChildMain.class.getName(),
                kafka.bootstrapServers(), "memstream-crash-" + run, stateDir.toString(), "crash-" + run,
                input, output, dlq)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .start();
    }

    private static List<TokenChunk> script() {
        List<TokenChunk> out = new ArrayList<>();
        String[] words = {"ash ", "birch ", "cedar ", "dune ", "ember ", "fjord ", "grove "};
        for (int seq = 0; seq < CHUNKS; seq++) {
            for (int s = 0; s < STREAMS; s++) {
                StringBuilder text = new StringBuilder();
                for (int w = 0; w < 4 + (s * seq) % 6; w++) {
                    text.append(words[(s + seq * 5 + w) % words.length]);
                }
                out.add(TokenChunk.newBuilder().setStreamId("crash-" + s).setSeq(seq).setText(text.toString())
                        .setGenerate(GenerateRequest.newBuilder().setMaxNewTokens(8).setTemperature(0.7f).build())
                        .setProducedAt(Instant.ofEpochMilli(1_700_000_000_000L + seq)).build());
            }
        }
        return out;
    }

    private void produce(MemstreamSerdes serdes, String topic, List<TokenChunk> chunks) {
        try (KafkaProducer<String, TokenChunk> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), serdes.chunk().serializer())) {
            chunks.forEach(c -> producer.send(new ProducerRecord<>(topic, c.getStreamId(), c)));
            producer.flush();
        }
    }

    private KafkaConsumer<String, Continuation> consumer(MemstreamSerdes serdes, String topic, String isolation) {
        KafkaConsumer<String, Continuation> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + isolation + "-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), serdes.continuation().deserializer());
        c.subscribe(List.of(topic));
        return c;
    }

    private static void waitForOutput(KafkaConsumer<String, Continuation> progress, Process child) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (progress.poll(Duration.ofMillis(20)).isEmpty()) {
            assertTrue(child.isAlive(), "the processor died before writing anything");
            assertTrue(System.nanoTime() < deadline, "the processor wrote nothing in 90 s");
        }
    }

    private static void drain(KafkaConsumer<String, Continuation> consumer, Map<String, Continuation> seen,
                              List<String> twice, Duration poll) {
        for (ConsumerRecord<String, Continuation> r : consumer.poll(poll)) {
            String id = r.value().getStreamId() + "/" + r.value().getSeq();
            if (seen.put(id, r.value()) != null) {
                twice.add(id);
            }
        }
    }
}
