package io.memstream.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;

/**
 * A one-node broker ({@link BrokerMain}) in a child JVM on this JVM's class path, on ports and a
 * cluster id fixed for its life, so that it can be killed and started again on the same data with
 * clients keeping their bootstrap list. Two users: the end-to-end benchmark ({@code bench e2e
 * --broker-jvm}: a broker in memstream's JVM shares its JIT settings, C1 alone, chosen for memstream,
 * and its collector, and its CPU can only be told apart by thread names; a broker of its own, with
 * the JVM options Kafka's own scripts give one, runs as brokers do and is measured as a process) and
 * the reliability tests, which SIGKILL it mid-run. Its output goes to {@code broker.log} in its data
 * directory, appended across starts.
 */
public final class BrokerProcess implements AutoCloseable {

    /** kafka-server-start.sh's KAFKA_HEAP_OPTS and kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS. */
    public static final List<String> KAFKA_JVM_OPTIONS = List.of("-Xmx1G", "-Xms1G", "-server", "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true");

    private final Path dataDir;
    private final List<String> command = new ArrayList<>();
    private final int port;
    private Process process;

    /**
     * A broker on {@code dataDir} (created if missing), on two free ports, not started yet.
     *
     * @param jvmOptions the child JVM's options
     * @param overrides server settings replacing memstream's one-node ones (experiments only)
     */
    public BrokerProcess(Path dataDir, List<String> jvmOptions, Map<String, String> overrides) throws IOException {
        this.dataDir = Files.createDirectories(dataDir);
        this.port = FreePort.pick();
        int controllerPort = FreePort.pick();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BrokerMain.class.getName(),
                dataDir.toString(), Integer.toString(port), Integer.toString(controllerPort), Uuid.randomUuid().toString()));
        overrides.forEach((k, v) -> command.add(k + "=" + v));
    }

    /** A broker with Kafka's own JVM options on a fresh cluster in {@code dataDir}, started and ready. */
    public static BrokerProcess start(Path dataDir, Duration readyTimeout) throws IOException {
        BrokerProcess broker = new BrokerProcess(dataDir, KAFKA_JVM_OPTIONS, Map.of());
        try {
            broker.start(readyTimeout);
        } catch (IOException | RuntimeException e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    /**
     * Starts the child, or starts it again on the same data after {@link #kill}, and waits until it
     * answers metadata requests (an open port is not a ready broker).
     */
    public void start(Duration readyTimeout) throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("broker at " + bootstrapServers() + " is already running");
        }
        Process started = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile())).start();
        process = started;
        EmbeddedKafkaBroker.awaitReady(bootstrapServers(), readyTimeout,
                () -> started.isAlive() ? null : "it exited with " + started.exitValue() + "; see " + log());
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The child's output, every start's. */
    public Path log() {
        return dataDir.resolve("broker.log");
    }

    /** CPU time (user and system) the running child has used so far, or -1 where the OS does not say. */
    public long cpuNanos() {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    /** SIGKILL on Linux: no shutdown, no flush; waits until the process is gone. */
    public void kill() throws InterruptedException {
        kill(process);
    }

    /**
     * Kills a child JVM as a crash would (SIGKILL on Linux: no shutdown hook, no commit, no
     * leave-group) and waits until it is gone; the crash tests kill their instances with it too.
     */
    public static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("pid " + p.pid() + " survived SIGKILL for 60 s");
        }
    }

    /** Stops the child as its service manager would (SIGTERM, then SIGKILL after 30 s). */
    @Override
    public void close() {
        stop(process, Duration.ofSeconds(30));
    }

    /**
     * Stops a child JVM as a service manager would: SIGTERM, so that it shuts down cleanly, then
     * SIGKILL if it is still there after {@code grace}. The crash tests stop their instances with it too.
     */
    public static void stop(Process p, Duration grace) {
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
