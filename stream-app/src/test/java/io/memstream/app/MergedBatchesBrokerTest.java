package io.memstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.client.ChunkProducer;
import io.memstream.client.ClientConfigs;
import io.memstream.client.ContinuationReader;
import io.memstream.client.TopicCreation;
import io.memstream.config.MemstreamConfig;
import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.model.ModelManifest;
import io.memstream.model.TestModels;
import io.memstream.schema.Continuation;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * batch.merge end to end: two stream threads on a real broker, the same input processed with and
 * without merging; every continuation (generated tokens and text, bits per byte) is byte-identical.
 * Every model chunk is exactly chunk_length tokens, so no batch pads any row, merged or not.
 */
class MergedBatchesBrokerTest {

    @TempDir
    static Path dir;
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void outputsAreByteIdenticalWithAndWithoutMerging() throws Exception {
        Map<String, Continuation> plain = run("plain", false);
        Map<String, Continuation> merged = run("merged", true);
        assertEquals(plain.keySet(), merged.keySet());
        for (String key : plain.keySet()) {
            Continuation a = plain.get(key);
            Continuation b = merged.get(key);
            assertEquals(a.getTokens(), b.getTokens(), key);
            assertEquals(a.getText(), b.getText(), key);
            assertEquals(a.getFinishReason(), b.getFinishReason(), key);
            assertEquals(Double.doubleToRawLongBits(a.getBitsPerByte()), Double.doubleToRawLongBits(b.getBitsPerByte()),
                    key + ": " + a.getBitsPerByte() + " vs " + b.getBitsPerByte());
        }
    }

    private Map<String, Continuation> run(String name, boolean merge) throws Exception {
        Path model = TestModels.tiny();
        int chunk = ModelManifest.load(model).chunkLength();
        Map<String, String> settings = new TreeMap<>(Map.of(
                MemstreamConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers(),
                MemstreamConfig.SCHEMA_REGISTRY_URL, "mock://merge-" + name,
                MemstreamConfig.APPLICATION_ID, "merge-" + name,
                MemstreamConfig.MODEL_DIR, model.toString(),
                MemstreamConfig.HTTP_PORT, "0",
                StreamsConfig.STATE_DIR_CONFIG, Files.createDirectories(dir.resolve("state-" + name)).toString(),
                StreamsConfig.REPLICATION_FACTOR_CONFIG, "1",
                StreamsConfig.NUM_STREAM_THREADS_CONFIG, "2",
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100"));
        settings.putAll(Map.of("input.topic", "chunks-" + name, "output.topic", "out-" + name, "dlq.topic", "dlq-" + name,
                "batch.max.size", "4", "batch.max.wait.ms", "5", "batch.merge", Boolean.toString(merge),
                "model.threads", "1"));
        MemstreamConfig config = MemstreamConfig.load(Optional.empty(), Map.of(), settings);
        try (Admin admin = Admin.create(ClientConfigs.admin(config.registryConfigs()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic("chunks-" + name, 4, (short) 1),
                    new NewTopic("out-" + name, 4, (short) 1),
                    new NewTopic("dlq-" + name, 1, (short) 1)));
        }
        List<TokenChunk> chunks = chunks(12, 3, chunk);
        try (ChunkProducer producer = new ChunkProducer(config.registryConfigs(), "chunks-" + name)) {
            producer.sendAll(chunks);
        }
        Map<String, Continuation> out = new TreeMap<>();
        try (ContinuationReader reader = new ContinuationReader(config.registryConfigs(), "out-" + name, true);
             ProcessorApp app = ProcessorApp.start(config)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (out.size() < chunks.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, Continuation> r : reader.poll(Duration.ofMillis(100))) {
                    out.put(r.key() + "/" + r.value().getSeq(), r.value());
                }
            }
        }
        assertEquals(chunks.size(), out.size(), "continuations of run " + name);
        assertTrue(out.values().stream().anyMatch(c -> !c.getTokens().isEmpty()), "nothing was generated");
        return out;
    }

    /** Token chunks of exactly chunk_length model tokens (seq 0 leaves room for BOS), greedy generation on each. */
    private static List<TokenChunk> chunks(int streams, int perStream, int chunk) {
        SplittableRandom r = new SplittableRandom(6);
        List<TokenChunk> out = new ArrayList<>();
        for (int seq = 0; seq < perStream; seq++) {
            for (int s = 0; s < streams; s++) {
                List<Integer> tokens = new ArrayList<>();
                for (int i = 0; i < (seq == 0 ? chunk - 1 : chunk); i++) {
                    tokens.add(32 + r.nextInt(95));
                }
                out.add(TokenChunk.newBuilder().setStreamId("s" + s).setSeq(seq).setTokens(tokens)
                        .setGenerate(GenerateRequest.newBuilder().setMaxNewTokens(6).setTemperature(0f).build())
                        .setProducedAt(Instant.now()).build());
            }
        }
        return out;
    }
}
