package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.client.ChunkProducer;
import io.memstream.client.ContinuationReader;
import io.memstream.client.TopicCreation;
import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.embedded.FreePort;
import io.memstream.schema.GenerateRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar target/memstream.jar run} as a real process: configuration from a file and a
 * {@code MEMSTREAM_*} variable, continuations produced, health and metrics served, and a clean
 * close on SIGTERM. The broker runs in the test JVM; the registry is the real one when
 * {@code memstream.it.registry.url} is set, else an in-process one ({@code mock://}; the app checks at
 * start that its registry answers) for the checks that remain.
 */
class PackagedRunIT {
    private static final String SECRET = "s3cr3t-in-config";
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void runsFromAFileAndTheEnvironmentAndClosesCleanlyOnSigterm() throws Exception {
        Path jar = Path.of(System.getProperty("memstream.jar", "target/memstream.jar"));
        Path root = Path.of(System.getProperty("memstream.repo.root", "..")).toAbsolutePath();
        String registry = System.getProperty("memstream.it.registry.url", System.getenv().getOrDefault(
                "MEMSTREAM_IT_REGISTRY_URL", ""));
        if (registry.equals("none")) { // run-tests.sh's and CI's way of saying "no real registry"
            registry = "";
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), Duration.ofSeconds(60))) {
            int httpPort = FreePort.pick();
            Map<String, Object> clientConfigs = Map.of("bootstrap.servers", broker.bootstrapServers(),
                    "schema.registry.url", registry.isBlank() ? "mock://packaged-run" : registry);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic("run-in", 1, (short) 1),
                        new NewTopic("run-out", 1, (short) 1),
                        new NewTopic("run-dlq", 1, (short) 1)));
            }
            Path config = writeConfig(broker, (String) clientConfigs.get("schema.registry.url"), "packaged-run");
            // The environment overrides the file: the HTTP port comes from here.
            Process run = startRun(config, jar, root, httpPort);
            try {
                awaitHealthy(httpPort, run);
                if (!registry.isBlank()) {
                    // Only a real registry lets this separate process and the test share schemas.
                    Map<String, Object> withAuth = new java.util.HashMap<>(clientConfigs);
                    try (ChunkProducer producer = new ChunkProducer(withAuth, "run-in");
                         ContinuationReader reader = new ContinuationReader(withAuth, "run-out", true)) {
                        producer.sendAll(ChunkProducer.document("psalm", 0, List.of("The LORD is my shepherd; ",
                                "I shall not want."), GenerateRequest.newBuilder().setMaxNewTokens(3).build(),
                                ChunkProducer.GenerateOn.LAST_CHUNK, true));
                        int received = 0;
                        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                        while (received < 2 && System.nanoTime() < deadline) {
                            received += reader.poll(Duration.ofMillis(200)).size();
                        }
                        assertEquals(2, received, "a continuation per chunk");
                    }
                }
                String metrics = get(httpPort, "/metrics").body();
                assertTrue(metrics.contains("memstream_"), "app meters");
                assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM meters");
            } finally {
                run.destroy();
            }
            assertTrue(run.waitFor(60, TimeUnit.SECONDS), "no exit within 60 s of SIGTERM");
            assertEquals(0, run.exitValue(), "exit code after SIGTERM:\n" + read(dir.resolve("err.txt")));
            String err = Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8);
            assertTrue(err.contains("PENDING_SHUTDOWN -> NOT_RUNNING"), "Streams closed cleanly:\n" + err);
            assertTrue(err.contains("basic.auth.user.info=[hidden]"), "effective configuration logged:\n" + err);
            assertFalse(err.contains(SECRET), "a secret in the logs:\n" + err);
        }
    }

    @Test
    void aStopDuringTheStartClosesCleanlyOnceStarted() throws Exception {
        Path jar = Path.of(System.getProperty("memstream.jar", "target/memstream.jar"));
        Path root = Path.of(System.getProperty("memstream.repo.root", "..")).toAbsolutePath();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), Duration.ofSeconds(60))) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic("run-in", 1, (short) 1),
                        new NewTopic("run-out", 1, (short) 1),
                        new NewTopic("run-dlq", 1, (short) 1)));
            }
            Path config = writeConfig(broker, "mock://stop-while-starting", "stop-while-starting");
            Process run = startRun(config, jar, root, 0);
            try {
                // The first log line of the start: the model loads right after it.
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!read(dir.resolve("err.txt")).contains("starting memstream with")) {
                    assertTrue(run.isAlive(), () -> "memstream run exited:\n" + read(dir.resolve("err.txt")));
                    assertTrue(System.nanoTime() < deadline, "no start within 60 s");
                    Thread.sleep(20);
                }
            } finally {
                run.destroy();
            }
            assertTrue(run.waitFor(60, TimeUnit.SECONDS), "no exit within 60 s of SIGTERM");
            String err = read(dir.resolve("err.txt"));
            assertEquals(0, run.exitValue(), "exit code after SIGTERM during the start:\n" + err);
            assertTrue(err.contains("SIGTERM received"), "the signal was memstream's to handle:\n" + err);
            try (var files = Files.list(dir)) {
                assertFalse(files.anyMatch(f -> f.getFileName().toString().startsWith("hs_err")), "a JVM crash log");
            }
        }
    }

    /** The processor's configuration file: the test broker, topics run-in/run-out/run-dlq, the tiny model. */
    private Path writeConfig(EmbeddedKafkaBroker broker, String registryUrl, String applicationId) throws IOException {
        return Files.writeString(dir.resolve("memstream.properties"), String.join("\n",
                "bootstrap.servers=" + broker.bootstrapServers(),
                "schema.registry.url=" + registryUrl,
                "application.id=" + applicationId,
                "input.topic=run-in", "output.topic=run-out", "dlq.topic=run-dlq",
                "model.dir=models/tiny",
                "http.port=1",
                "state.dir=" + dir.resolve("state"),
                "replication.factor=1",
                "basic.auth.credentials.source=USER_INFO",
                "basic.auth.user.info=user:" + SECRET, ""));
    }

    /** {@code java -jar memstream.jar run -c CONFIG}, the HTTP port from the environment (0: no HTTP server). */
    private Process startRun(Path config, Path jar, Path root, int httpPort) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dmemstream.home=" + root, "-jar", jar.toString(), "run", "-c", config.toString())
                .directory(dir.toFile())
                .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        builder.environment().put("MEMSTREAM_HTTP_PORT", Integer.toString(httpPort));
        return builder.start();
    }

    private void awaitHealthy(int port, Process run) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            assertTrue(run.isAlive(), () -> "memstream run exited:\n" + read(dir.resolve("err.txt")));
            try {
                if (get(port, "/health").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // The HTTP server starts after the model is loaded.
            }
            Thread.sleep(200);
        }
        throw new AssertionError("not healthy within 90 s:\n" + read(dir.resolve("err.txt")));
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }
}
