package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.memstream.client.TopicCreation;
import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.embedded.FreePort;
import io.memstream.model.TestModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar target/memstream.jar run} with one thing wrong at start each time: one clear
 * message on stderr, a non-zero exit, and no stack trace. The broker (for the cases that need one)
 * runs in this JVM; the faulty pieces are real: a missing directory, changed and corrupt graph
 * files, closed ports, a regular file where the state directory should be.
 */
class StartupFaultsIT {

    private static EmbeddedKafkaBroker broker;
    private static Path brokerDir;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        brokerDir = Files.createTempDirectory("memstream-startup-faults");
        broker = EmbeddedKafkaBroker.start(brokerDir, Duration.ofSeconds(60));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic("faults-in", 1, (short) 1)));
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private record Outcome(int exit, String err, String out) { }

    /** A run that would work but for the overrides. */
    private Outcome run(String... overrides) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dmemstream.home=" + repoRoot(), "-jar", jar().toString(), "run"));
        Map<String, String> settings = new java.util.LinkedHashMap<>(Map.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "schema.registry.url", "mock://startup-faults",
                "application.id", "startup-faults",
                "input.topic", "faults-in", "output.topic", "faults-out", "dlq.topic", "faults-dlq",
                "model.dir", repoRoot().resolve("models/tiny").toString(),
                "http.port", "0",
                "state.dir", dir.resolve("state").toString(),
                "default.api.timeout.ms", "4000"));
        for (int i = 0; i < overrides.length; i += 2) {
            settings.put(overrides[i], overrides[i + 1]);
        }
        settings.forEach((k, v) -> {
            command.add("-D");
            command.add(k + "=" + v);
        });
        Path err = dir.resolve("err.txt");
        Path out = dir.resolve("out.txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile())
                .redirectError(err.toFile()).redirectOutput(out.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("memstream run did not exit within 120 s:\n" + Files.readString(err));
        }
        return new Outcome(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8),
                Files.readString(out, StandardCharsets.UTF_8));
    }

    /** Exit code 2, memstream's message on stderr (one "memstream run:" line), and no stack trace. */
    private static void assertCleanFailure(Outcome o, String expected) {
        assertEquals(2, o.exit(), () -> "exit code; stderr:\n" + o.err());
        List<String> lines = o.err().lines().filter(l -> l.startsWith("memstream run: ")).toList();
        assertEquals(1, lines.size(), () -> "one message line; stderr:\n" + o.err());
        // The message is the rest of stderr from that line (a configuration error lists its problems below it).
        String message = o.err().substring(o.err().indexOf("memstream run: ")).strip();
        assertTrue(message.contains(expected), () -> "message: " + message);
        System.out.println("start-up fault, exit " + o.exit() + ": " + message);
        assertFalse(o.err().contains("\tat "), () -> "a stack trace:\n" + o.err());
        assertFalse(o.err().contains("Exception in thread"), () -> "an uncaught exception:\n" + o.err());
    }

    @Test
    void missingModelDirectory() throws Exception {
        Outcome o = run("model.dir", dir.resolve("no-such-model").toString());
        assertCleanFailure(o, "no-such-model");
    }

    @Test
    void graphNotMatchingTheManifestFingerprint() throws Exception {
        Path model = copyOfTinyModel();
        Files.write(model.resolve("decode.onnx"), new byte[] {0x0a, 0x00}, java.nio.file.StandardOpenOption.APPEND);
        assertCleanFailure(run("model.dir", model.toString()), "do not match the manifest: fingerprint is");
    }

    /** Corrupt, yet with a manifest whose fingerprint matches it: ONNX Runtime itself must refuse it. */
    @Test
    void corruptGraphFile() throws Exception {
        Path model = copyOfTinyModel();
        byte[] graph = Files.readAllBytes(model.resolve("step.onnx"));
        Files.write(model.resolve("step.onnx"), Arrays.copyOf(graph, graph.length / 3));
        refingerprint(model);
        assertCleanFailure(run("model.dir", model.toString()), "step");
    }

    @Test
    void unreachableBroker() throws Exception {
        Outcome o = run("bootstrap.servers", "127.0.0.1:" + FreePort.pick());
        assertCleanFailure(o, "no Kafka broker answered at 127.0.0.1:");
    }

    @Test
    void missingInputTopic() throws Exception {
        assertCleanFailure(run("input.topic", "no-such-topic"), "input topic 'no-such-topic' does not exist");
    }

    @Test
    void unreachableRegistry() throws Exception {
        Outcome o = run("schema.registry.url", "http://127.0.0.1:" + FreePort.pick(), "schema.registry.max.retries", "0");
        assertCleanFailure(o, "the schema registry (schema.registry.url) did not answer");
    }

    @Test
    void stateDirectoryNotWritable() throws Exception {
        // A regular file where a directory is needed: unwritable even for root, unlike a chmod.
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        assertCleanFailure(run("state.dir", file.resolve("state").toString()), "is not a writable directory");
    }

    private Path copyOfTinyModel() throws IOException {
        return TestModels.copy(repoRoot().resolve("models/tiny"), dir.resolve("model"));
    }

    /** Writes the fingerprint of the files as they are now (the contract's recipe) into the manifest. */
    private static void refingerprint(Path model) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest = (ObjectNode) json.readTree(model.resolve("manifest.json").toFile());
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        List<String> files = new ArrayList<>();
        for (String graph : List.of("step", "prefill", "decode")) {
            files.add(manifest.path("graphs").path(graph).path("file").asText());
        }
        for (JsonNode s : manifest.path("state")) {
            files.add(s.path("initial").asText());
        }
        for (String f : files) {
            try (InputStream in = Files.newInputStream(model.resolve(f))) {
                sha.update(in.readAllBytes());
            }
        }
        manifest.put("fingerprint", "sha256:" + HexFormat.of().formatHex(sha.digest()));
        json.writeValue(model.resolve("manifest.json").toFile(), manifest);
    }

    private static Path jar() {
        return Path.of(System.getProperty("memstream.jar", "target/memstream.jar")).toAbsolutePath();
    }

    private static Path repoRoot() {
        return Path.of(System.getProperty("memstream.repo.root", "..")).toAbsolutePath().normalize();
    }
}
