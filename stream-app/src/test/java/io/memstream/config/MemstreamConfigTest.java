package io.memstream.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.model.DeviceChoice;
import io.memstream.topology.TopologyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemstreamConfigTest {
    @TempDir
    Path dir;

    /** A directory that passes the model check (a manifest file exists); the model itself is not loaded here. */
    private Path fakeModel() throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("manifest.json"), "{}");
        return model;
    }

    private Path file(String content) throws IOException {
        return Files.writeString(dir.resolve("memstream.properties"), content);
    }

    private static Map<String, String> overrides(String... keyValues) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    @Test
    void defaultsApplyAndTheTopologyKeysReachTheProcessorConfig() throws IOException {
        MemstreamConfig config = MemstreamConfig.load(Optional.empty(), Map.of(),
                overrides(MemstreamConfig.MODEL_DIR, fakeModel().toString()));
        assertEquals(DeviceChoice.CPU, config.device());
        assertEquals("127.0.0.1", config.httpHost());
        assertEquals(9464, config.httpPort());
        assertEquals("memstream", config.applicationId());
        assertEquals(TopologyConfig.defaults(), config.topology());
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2,
                config.streamsProperties().getProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertEquals("262144", config.streamsProperties().getProperty("producer.batch.size"));
        assertFalse(config.streamsProperties().containsKey("producer.linger.ms"), "Kafka's own linger");
        assertEquals("10", config.streamsProperties().getProperty("poll.ms"), "a fifth of batch.max.wait.ms (50)");
    }

    @Test
    void pollTimeFollowsTheBatchWaitUnlessSet() throws IOException {
        String model = fakeModel().toString();
        MemstreamConfig slow = MemstreamConfig.load(Optional.empty(), Map.of(),
                overrides(MemstreamConfig.MODEL_DIR, model, "batch.max.wait.ms", "200"));
        assertEquals("40", slow.streamsProperties().getProperty("poll.ms"));
        MemstreamConfig fast = MemstreamConfig.load(Optional.empty(), Map.of(),
                overrides(MemstreamConfig.MODEL_DIR, model, "batch.max.wait.ms", "2"));
        assertEquals("1", fast.streamsProperties().getProperty("poll.ms"));
        MemstreamConfig set = MemstreamConfig.load(Optional.empty(), Map.of(),
                overrides(MemstreamConfig.MODEL_DIR, model, "poll.ms", "250"));
        assertEquals("250", set.streamsProperties().getProperty("poll.ms"), "the user's poll.ms wins");
    }

    @Test
    void environmentOverridesTheFileAndCommandLineOverridesBoth() throws IOException {
        Path model = fakeModel();
        Path file = file("batch.max.size=4\ninput.topic=from-file\nmodel.dir=" + model + "\nlinger.ms=7\nbatch.size=70000\n");
        Map<String, String> env = Map.of("MEMSTREAM_BATCH_MAX_SIZE", "8", "MEMSTREAM_INPUT_TOPIC", "from-env",
                "PATH", "/usr/bin", "MEMSTREAM_HTTP_PORT", "0");
        MemstreamConfig config = MemstreamConfig.load(Optional.of(file), env, overrides("input.topic", "from-cli"));
        assertEquals(8, config.topology().batchMaxSize());
        assertEquals("from-cli", config.topology().inputTopic());
        assertEquals(0, config.httpPort());
        Properties streams = config.streamsProperties();
        assertEquals("7", streams.getProperty("linger.ms"), "Kafka client properties pass through");
        assertEquals("70000", streams.getProperty("batch.size"));
        assertFalse(streams.containsKey("producer.batch.size"), "a plain key the user set is not overridden by a prefixed default");
        assertFalse(streams.containsKey("batch.max.size"), "processor keys stay out of Kafka's configs");
        assertFalse(streams.containsKey(MemstreamConfig.MODEL_DIR));
        assertFalse(streams.containsKey("path"));
    }

    @Test
    void environmentNamesMapToKeys() {
        assertEquals("batch.max.size", ConfigSources.envToKey("MEMSTREAM_BATCH_MAX_SIZE"));
        assertEquals("MEMSTREAM_SCHEMA_REGISTRY_URL", ConfigSources.keyToEnv("schema.registry.url"));
    }

    @Test
    void reportsEveryProblemAtOnceNamingTheKeys() {
        var error = assertThrows(MemstreamConfigException.class, () -> MemstreamConfig.load(Optional.empty(),
                Map.of("MEMSTREAM_BATCH_MAX_SIZE", "lots"),
                overrides("device", "tpu", "http.port", "99999", "model.dir", dir.resolve("nowhere").toString(),
                        "gap.policy", "sometimes", "processing.guarantee", "at_most_twice")));
        String message = error.getMessage();
        assertTrue(message.contains("device must be cpu, gpu or auto, got 'tpu'"), message);
        assertTrue(message.contains("http.port"), message);
        assertTrue(message.contains("model.dir"), message);
        assertTrue(message.contains("processing.guarantee"), message);
        assertEquals(5, error.problems().size(), message);
    }

    @Test
    void badRegistrySettingsAreReportedAtStartWithoutTheirSecrets() throws IOException {
        var error = assertThrows(MemstreamConfigException.class, () -> MemstreamConfig.load(Optional.empty(), Map.of(),
                overrides("model.dir", fakeModel().toString(), "schema.registry.url", "https://registry:8081",
                        "use.latest.version", "maybe",
                        "schema.registry.ssl.truststore.location", dir.resolve("absent.p12").toString(),
                        "schema.registry.ssl.truststore.password", "trust-secret-93")));
        String message = error.getMessage();
        assertTrue(message.contains("use.latest.version"), message);
        assertTrue(message.contains("schema.registry.ssl.truststore.location"), message);
        assertFalse(message.contains("trust-secret-93"), message);
        assertEquals(2, error.problems().size(), message);

        var auth = assertThrows(MemstreamConfigException.class, () -> MemstreamConfig.load(Optional.empty(), Map.of(),
                overrides("model.dir", fakeModel().toString(), "basic.auth.credentials.source", "USER_INFO")));
        assertTrue(auth.getMessage().contains("basic.auth.user.info"), auth.getMessage());
    }

    @Test
    void aMissingConfigFileIsAClearError() {
        var error = assertThrows(MemstreamConfigException.class,
                () -> MemstreamConfig.load(Optional.of(dir.resolve("absent.properties")), Map.of(), Map.of()));
        assertTrue(error.getMessage().contains("absent.properties"));
    }

    @Test
    void describeHidesSecrets() throws IOException {
        MemstreamConfig config = MemstreamConfig.load(Optional.empty(), Map.of(), overrides(
                "model.dir", fakeModel().toString(),
                "basic.auth.user.info", "alice:s3cret",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                        + "username=\"u\" password=\"hunter2\";",
                "ssl.truststore.password", "trustme",
                "schema.registry.url", "https://bob:pw@registry:8081"));
        String described = config.describe() + config;
        for (String secret : new String[] {"s3cret", "hunter2", "trustme", "bob:pw"}) {
            assertFalse(described.contains(secret), secret + " leaked in:\n" + described);
        }
        assertTrue(described.contains("basic.auth.user.info=" + SecretMasking.HIDDEN));
        assertTrue(described.contains("schema.registry.url=https://***@registry:8081"));
        assertEquals("alice:s3cret", config.registryConfigs().get("basic.auth.user.info"),
                "the serdes still get the real value");
    }
}
