package io.memstream.topology;

import io.memstream.model.ModelRuntime;
import io.memstream.model.TestModels;
import io.memstream.schema.Continuation;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.MemoryState;
import io.memstream.schema.TokenChunk;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;

/** A TopologyTestDriver over the real topology and the tiny model, with a mock registry of its own. */
final class TopologyHarness implements AutoCloseable {

    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    final TopologyConfig config;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final MemstreamSerdes serdes;
    final TopologyTestDriver driver;
    final TestInputTopic<String, TokenChunk> input;
    final TestInputTopic<String, byte[]> rawInput;
    final TestOutputTopic<String, Continuation> output;
    final TestOutputTopic<byte[], byte[]> dlq;
    private final Path stateDir;

    TopologyHarness(Map<String, String> settings) {
        this(settings, TestModels.tinyRuntime());
    }

    /** The topology on another model (the caller owns and closes the runtime). */
    TopologyHarness(Map<String, String> settings, ModelRuntime runtime) {
        this(settings, runtime, Map.of("schema.registry.url", "mock://ttd-" + UUID.randomUUID()));
    }

    /** With the registry client settings of the serdes (a {@code mock://} scope, or an HTTP registry). */
    TopologyHarness(Map<String, String> settings, Map<String, ?> registryConfigs) {
        this(settings, TestModels.tinyRuntime(), registryConfigs);
    }

    private TopologyHarness(Map<String, String> settings, ModelRuntime runtime, Map<String, ?> registryConfigs) {
        Properties user = new Properties();
        // The driver runs everything on the test thread and tests read outputs right after piping;
        // with batch.overlap (the default) a full batch's outputs land at a later record or tick, so
        // the tests of overlap ask for it by name.
        user.put(TopologyConfig.BATCH_OVERLAP, "false");
        user.putAll(settings);
        config = TopologyConfig.fromProperties(user);
        serdes = new MemstreamSerdes(registryConfigs);
        try {
            stateDir = Files.createTempDirectory("memstream-ttd");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        user.put(StreamsConfig.APPLICATION_ID_CONFIG, "ttd");
        user.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        user.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        Properties props = MemstreamTopology.streamsProperties(config, user);
        driver = new TopologyTestDriver(MemstreamTopology.build(config, runtime, serdes, meters), props, START);
        input = driver.createInputTopic(config.inputTopic(), new StringSerializer(), serdes.chunk().serializer());
        rawInput = driver.createInputTopic(config.inputTopic(), new StringSerializer(), new ByteArraySerializer());
        output = driver.createOutputTopic(config.outputTopic(), new org.apache.kafka.common.serialization.StringDeserializer(),
                serdes.continuation().deserializer());
        dlq = driver.createOutputTopic(config.dlqTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    static TopologyHarness perRecord() {
        return new TopologyHarness(Map.of(TopologyConfig.BATCH_MAX_SIZE, "1"));
    }

    KeyValueStore<String, MemoryState> memory() {
        return driver.getKeyValueStore(MemstreamTopology.MEMORY_STORE);
    }

    void send(TokenChunk chunk) {
        input.pipeInput(chunk.getStreamId(), chunk, START);
    }

    /**
     * Lets the batch punctuator run a partial batch: two ticks, as the first after a full batch
     * leaves the next one to fill (the driver fires a wall-clock punctuator once per advance).
     */
    void tick() {
        driver.advanceWallClockTime(config.batchMaxWait());
        driver.advanceWallClockTime(config.batchMaxWait());
    }

    /**
     * With batch.overlap: ticks, then lets the collecting punctuator run until nothing is queued
     * (the model works on threads of its own, so this waits for it, up to 30 s).
     */
    void settle() {
        tick();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (hasQueued()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("chunks still queued after 30 s");
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            driver.advanceWallClockTime(Duration.ofMillis(5));
        }
    }

    private boolean hasQueued() {
        try (var it = driver.getKeyValueStore(MemstreamTopology.PENDING_CHUNKS_STORE).all()) {
            return it.hasNext();
        }
    }

    void advance(Duration d) {
        driver.advanceWallClockTime(d);
    }

    double counter(String name) {
        var c = meters.find(name).counter();
        return c == null ? 0 : c.count();
    }

    double deadLetters(String reason) {
        var c = meters.find("memstream.dead.letters").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    static TokenChunk text(String stream, long seq, String text) {
        return TokenChunk.newBuilder().setStreamId(stream).setSeq(seq).setText(text)
                .setProducedAt(START.plusMillis(seq)).build();
    }

    static TokenChunk generating(String stream, long seq, String text, GenerateRequest request) {
        TokenChunk c = text(stream, seq, text);
        c.setGenerate(request);
        return c;
    }

    static GenerateRequest greedy(int n) {
        return GenerateRequest.newBuilder().setMaxNewTokens(n).build();
    }

    static GenerateRequest sampled(int n, float temperature, int topK, float topP) {
        return GenerateRequest.newBuilder().setMaxNewTokens(n).setTemperature(temperature).setTopK(topK)
                .setTopP(topP).build();
    }

    /** A continuation with its one wall-time field zeroed, for byte comparisons. */
    static Continuation timeless(Continuation c) {
        Continuation copy = Continuation.newBuilder(c).build();
        copy.getStats().setInferenceMillis(0.0);
        return copy;
    }

    List<Continuation> readAll() {
        return output.readValuesToList();
    }

    @Override
    public void close() {
        driver.close();
        try (var files = Files.walk(stateDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
