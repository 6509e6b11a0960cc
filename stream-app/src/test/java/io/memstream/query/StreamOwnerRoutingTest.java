package io.memstream.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.app.ProcessorApp;
import io.memstream.client.ChunkProducer;
import io.memstream.client.ContinuationReader;
import io.memstream.client.TopicCreation;
import io.memstream.config.MemstreamConfig;
import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.embedded.FreePort;
import io.memstream.model.TestModels;
import io.memstream.registry.MockSchemaRegistry;
import io.memstream.schema.Continuation;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import io.memstream.topology.MemstreamTopology;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances of the app with one application id on a real broker: {@code GET /streams/{id}} asked
 * of the instance that does not own a stream answers with the owner's summary, fetched through
 * Streams' key metadata and the owner's {@code application.server}; {@code memstream inspect} shows it.
 */
class StreamOwnerRoutingTest {
    private static final int PARTITIONS = 4;
    private static final int STREAMS = 8;
    private static final int CHUNKS = 2;
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void anyInstanceAnswersForAStreamThatAnotherOwns() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String scope = "routing-" + run;
        List<String> ids = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            ids.add("book-" + s);
        }
        Set<Integer> partitions = new HashSet<>();
        ids.forEach(id -> partitions.add(Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % PARTITIONS));
        assertEquals(PARTITIONS, partitions.size(), "the ids cover every partition, so both instances own some");

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), Duration.ofSeconds(60))) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic("in-" + run, PARTITIONS, (short) 1),
                        new NewTopic("out-" + run, PARTITIONS, (short) 1),
                        new NewTopic("dlq-" + run, 1, (short) 1)));
            }
            MemstreamConfig configA = config(broker, run, scope, "a");
            MemstreamConfig configB = config(broker, run, scope, "b");
            try (ProcessorApp a = ProcessorApp.start(configA); ProcessorApp b = ProcessorApp.start(configB)) {
                awaitShared(a, b);
                Map<String, Continuation> last = publishAndRead(configA, ids);

                String hostA = "127.0.0.1:" + a.httpPort();
                String hostB = "127.0.0.1:" + b.httpPort();
                Map<String, String> owners = new HashMap<>();
                for (String id : ids) {
                    KeyQueryMetadata where = a.streams().queryMetadataForKey(MemstreamTopology.MEMORY_STORE, id,
                            Serdes.String().serializer());
                    owners.put(id, where.activeHost().host() + ":" + where.activeHost().port());
                }
                assertTrue(owners.containsValue(hostA) && owners.containsValue(hostB), "both own streams: " + owners);

                for (String id : ids) {
                    String asked = owners.get(id).equals(hostA) ? hostB : hostA; // the one that does NOT own it
                    HttpResponse<String> response = get(asked, "/streams/" + id);
                    assertEquals(200, response.statusCode(), response.body());
                    StreamSummary summary = StreamSummary.fromJson(response.body());
                    assertEquals(owners.get(id), summary.servedBy(), "answered by the owner, not by " + asked);
                    assertNotEquals(asked, summary.servedBy());
                    assertEquals(id, summary.streamId());
                    assertEquals(CHUNKS - 1, summary.lastSeq());
                    assertEquals(CHUNKS, summary.chunksAbsorbed());
                    assertEquals(last.get(id).getStats().getTokensAbsorbed(), summary.tokensAbsorbed());
                    assertEquals(last.get(id).getModelId(), summary.modelId());
                    assertTrue(summary.modelMatches());
                    assertTrue(summary.stateBytes() > 0, "state size");
                    assertEquals("float32", summary.stateDtype(), "the tiny model's manifest names no state_storage");
                    // The owner itself gives the same answer.
                    assertEquals(response.body(), get(owners.get(id), "/streams/" + id).body());
                }

                // Each instance's /metrics counts its own share; together they absorbed every chunk once.
                double absorbed = 0;
                double generated = 0;
                for (String host : List.of(hostA, hostB)) {
                    String metrics = get(host, "/metrics").body();
                    absorbed += counter(metrics, "memstream_chunks_absorbed_total");
                    generated += counter(metrics, "memstream_tokens_generated_total");
                    assertTrue(metrics.contains("memstream_model_latency_seconds_bucket{call=\"step\""), "latency histogram");
                    assertTrue(metrics.contains("memstream_batch_size_count"), "batch sizes");
                    assertTrue(metrics.contains("memstream_dead_letters_total"), "dead letters");
                    assertTrue(metrics.contains("memstream_memory_evictions_total"), "evictions");
                    assertTrue(metrics.contains("kafka_stream_"), "Kafka Streams client metrics");
                }
                assertEquals(STREAMS * CHUNKS, absorbed, 0.0);
                long asked = last.values().stream().mapToLong(c -> c.getTokens().size()).sum();
                assertEquals(asked, generated, 0.0, "generated tokens, as the continuations carry them");

                HttpResponse<String> missing = get(hostA, "/streams/no-such-stream");
                assertEquals(404, missing.statusCode(), missing.body());

                String remote = ids.stream().filter(id -> owners.get(id).equals(hostB)).findFirst().orElseThrow();
                java.io.StringWriter out = new java.io.StringWriter();
                int exit = io.memstream.cli.CliRunner.run(out, "inspect", remote, "--url", "http://" + hostA);
                assertEquals(0, exit, out.toString());
                assertTrue(out.toString().contains("owner        " + hostB), out.toString());
                assertTrue(out.toString().contains("last seq     " + (CHUNKS - 1)), out.toString());
                assertTrue(out.toString().contains("chunks       " + CHUNKS), out.toString());
                assertTrue(out.toString().matches("(?s).*state size   \\d+ bytes \\(float32\\).*"), out.toString());

                java.io.StringWriter none = new java.io.StringWriter();
                assertEquals(1, io.memstream.cli.CliRunner.run(none, "inspect", "no-such-stream", "--url", "http://" + hostB));
                assertTrue(none.toString().contains("no memory for stream 'no-such-stream'"), none.toString());
            }
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }

    private MemstreamConfig config(EmbeddedKafkaBroker broker, String run, String scope, String name) throws IOException {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("bootstrap.servers", broker.bootstrapServers());
        s.put("schema.registry.url", "mock://" + scope);
        s.put("application.id", "routing-" + run);
        s.put("model.dir", TestModels.tiny().toString());
        s.put("model.threads", "1");
        s.put("http.host", "127.0.0.1");
        s.put("http.port", Integer.toString(FreePort.pick()));
        s.put("state.dir", dir.resolve("state-" + name).toString());
        s.put("replication.factor", "1");
        s.put("commit.interval.ms", "100");
        s.put("input.topic", "in-" + run);
        s.put("output.topic", "out-" + run);
        s.put("dlq.topic", "dlq-" + run);
        s.put("batch.max.wait.ms", "20");
        return MemstreamConfig.load(Optional.empty(), Map.of(), s);
    }

    /** Both RUNNING with active tasks each: the partitions are shared. */
    private static void awaitShared(ProcessorApp a, ProcessorApp b) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (a.state() == KafkaStreams.State.RUNNING && b.state() == KafkaStreams.State.RUNNING
                    && activeTasks(a) > 0 && activeTasks(b) > 0 && activeTasks(a) + activeTasks(b) == PARTITIONS) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("partitions not shared within 90 s: " + a.state() + "/" + b.state());
    }

    private static int activeTasks(ProcessorApp app) {
        return app.streams().metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum();
    }

    private static Map<String, Continuation> publishAndRead(MemstreamConfig config, List<String> ids) throws Exception {
        List<TokenChunk> chunks = new ArrayList<>();
        for (String id : ids) {
            chunks.addAll(ChunkProducer.document(id, 0, List.of("In the beginning " + id + " ", "and the end."),
                    GenerateRequest.newBuilder().setMaxNewTokens(2).build(), ChunkProducer.GenerateOn.LAST_CHUNK, false));
        }
        Map<String, Continuation> last = new HashMap<>();
        try (ContinuationReader reader = new ContinuationReader(config.registryConfigs(), config.topology().outputTopic(), true);
             ChunkProducer producer = new ChunkProducer(config.registryConfigs(), config.topology().inputTopic())) {
            producer.sendAll(chunks);
            int received = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (received < chunks.size() && System.nanoTime() < deadline) {
                for (var record : reader.poll(Duration.ofMillis(200))) {
                    received++;
                    if (record.value().getSeq() == CHUNKS - 1) {
                        last.put(record.key(), record.value());
                    }
                }
            }
            assertEquals(chunks.size(), received, "a continuation per chunk");
        }
        assertFalse(last.isEmpty());
        return last;
    }

    private static double counter(String metrics, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? (\\S+)$").matcher(metrics);
        assertTrue(m.find(), name + " in /metrics");
        return Double.parseDouble(m.group(2));
    }

    private HttpResponse<String> get(String hostPort, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + hostPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
