package io.memstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.client.ChunkProducer;
import io.memstream.client.ClientConfigs;
import io.memstream.client.ContinuationReader;
import io.memstream.client.DeadLetterReader;
import io.memstream.client.TopicCreation;
import io.memstream.config.MemstreamConfig;
import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.embedded.FreePort;
import io.memstream.registry.MockSchemaRegistry;
import io.memstream.schema.Continuation;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The assembled app (model, Streams, HTTP) on a real in-JVM broker: with the in-process registry
 * always, and with the real registry too when {@code memstream.it.registry.url} /
 * {@code MEMSTREAM_IT_REGISTRY_URL} names one. Where a Docker engine runs, the same test runs once
 * more on the official Kafka and Confluent Schema Registry containers; elsewhere that case is skipped
 * with the reason.
 */
class ProcessorAppTest {
    private static final Path TINY = Path.of(System.getProperty("memstream.repo.root", ".."), "models", "tiny");
    private static EmbeddedKafkaBroker broker;
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    static Path dir;

    @BeforeAll
    static void startBroker() throws IOException {
        broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    static Stream<Arguments> registries() {
        List<Arguments> registries = new ArrayList<>(List.of(Arguments.of("in-process", "mock://app-test")));
        io.memstream.registry.RealRegistry.url()
                .ifPresent(url -> registries.add(Arguments.of("real", url)));
        return registries.stream();
    }

    @ParameterizedTest(name = "{0} registry")
    @MethodSource("registries")
    void processesStreamsAndServesHealthAndMetrics(String kind, String registryUrl) throws Exception {
        runPipeline(broker.bootstrapServers(), registryUrl);
    }

    /** The same pipeline on the official Kafka and Confluent Schema Registry images, where Docker runs. */
    @Test
    void onTheOfficialKafkaAndSchemaRegistryContainers() throws Exception {
        try (OfficialContainers containers = OfficialContainers.startOrSkip()) {
            runPipeline(containers.bootstrapServers(), containers.registryUrl());
        }
    }

    /** Streams in, one continuation per chunk out, a dead letter for bad bytes, health and metrics served. */
    private void runPipeline(String bootstrapServers, String registryUrl)
            throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        int httpPort = FreePort.pick();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("bootstrap.servers", bootstrapServers);
        settings.put("schema.registry.url", registryUrl);
        settings.put("application.id", "app-test-" + run);
        settings.put("input.topic", "chunks-" + run);
        settings.put("output.topic", "continuations-" + run);
        settings.put("dlq.topic", "dlq-" + run);
        settings.put("model.dir", TINY.toString());
        settings.put("model.threads", "1");
        settings.put("http.port", Integer.toString(httpPort));
        settings.put("state.dir", dir.resolve("state-" + run).toString());
        settings.put("replication.factor", "1");
        settings.put("commit.interval.ms", "100");
        settings.put("batch.max.wait.ms", "20");
        MemstreamConfig config = MemstreamConfig.load(Optional.empty(), Map.of(), settings);
        try (Admin admin = Admin.create(ClientConfigs.admin(config.registryConfigs()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic("chunks-" + run, 2, (short) 1),
                    new NewTopic("continuations-" + run, 2, (short) 1), new NewTopic("dlq-" + run, 1, (short) 1)));
        }

        List<TokenChunk> input = new ArrayList<>();
        GenerateRequest generate = GenerateRequest.newBuilder().setMaxNewTokens(4).build();
        for (int s = 0; s < 3; s++) {
            input.addAll(ChunkProducer.document("stream-" + s, 0,
                    List.of("In the beginning ", "God created ", "the heaven and the earth."), generate,
                    ChunkProducer.GenerateOn.EVERY_CHUNK, false));
        }
        try (ProcessorApp app = ProcessorApp.start(config)) {
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)), "RUNNING");
            assertEquals(httpPort, app.httpPort());
            HttpResponse<String> health = get(httpPort, "/health");
            assertEquals(200, health.statusCode(), health.body());

            Set<String> seen = new HashSet<>();
            try (ChunkProducer producer = new ChunkProducer(config.registryConfigs(), "chunks-" + run);
                 ContinuationReader reader = new ContinuationReader(config.registryConfigs(),
                         "continuations-" + run, true)) {
                producer.sendAll(input);
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (seen.size() < input.size() && System.nanoTime() < deadline) {
                    for (var record : reader.poll(Duration.ofMillis(200))) {
                        Continuation c = record.value();
                        assertEquals(record.key(), c.getStreamId());
                        assertTrue(seen.add(c.getStreamId() + "/" + c.getSeq()), "twice: " + c.getStreamId() + "/"
                                + c.getSeq());
                        assertTrue(c.getTokens().size() <= 4);
                    }
                }
            }
            assertEquals(input.size(), seen.size(), "one continuation per chunk: " + seen);

            // A record no deserializer accepts goes to the dead-letter topic, with the reason, and the app goes on.
            try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
                    bootstrapServers), new ByteArraySerializer(), new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>("chunks-" + run, "bad".getBytes(StandardCharsets.UTF_8),
                        "not the wire format".getBytes(StandardCharsets.UTF_8))).get();
            }
            List<DeadLetterReader.DeadLetter> letters = new ArrayList<>();
            try (DeadLetterReader reader = new DeadLetterReader(config.registryConfigs(), "dlq-" + run, true)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (letters.isEmpty() && System.nanoTime() < deadline) {
                    letters.addAll(reader.poll(Duration.ofMillis(200)));
                }
            }
            assertEquals(1, letters.size(), "one dead letter");
            DeadLetterReader.DeadLetter letter = letters.get(0);
            assertEquals("bad", letter.key());
            assertEquals("chunks-" + run, letter.sourceTopic());
            assertEquals("not the wire format".length(), letter.valueBytes());
            assertTrue(letter.message().contains("magic byte"), letter.message());
            assertEquals(KafkaStreams.State.RUNNING, app.state());

            String metrics = get(httpPort, "/metrics").body();
            assertTrue(metrics.contains("memstream_continuations_total 9.0"), "app meters");
            assertTrue(metrics.contains("kafka_stream_"), "Kafka Streams client metrics");
        }
        assertThrows(IOException.class, () -> get(httpPort, "/health"), "HTTP server closed with the app");
        if (registryUrl.startsWith("mock://")) {
            MockSchemaRegistry.dropScope(registryUrl.substring("mock://".length()));
        }
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
