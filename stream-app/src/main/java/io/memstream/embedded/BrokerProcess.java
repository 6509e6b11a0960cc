package io.memstream.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;

/**
 * A one-node broker ({@link BrokerMain}) in a child JVM on this JVM's class path, started with the JVM
 * options Kafka's own scripts give a broker. For the end-to-end benchmark: a broker in memstream's JVM
 * shares its JIT settings (C1 alone, chosen for memstream) and its collector, and its CPU can only be
 * told apart by thread names; a broker of its own runs as brokers do and is measured as a process.
 */
public final class BrokerProcess implements AutoCloseable {

    /** kafka-server-start.sh's KAFKA_HEAP_OPTS and kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS. */
    public static final List<String> KAFKA_JVM_OPTIONS = List.of("-Xmx1G", "-Xms1G", "-server", "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true");

    private final Process process;
    private final String bootstrapServers;

    private BrokerProcess(Process process, String bootstrapServers) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts the child on a fresh cluster in {@code dataDir} (its output in broker.log there) and waits until it is ready. */
    public static BrokerProcess start(Path dataDir, Duration readyTimeout) throws IOException {
        Files.createDirectories(dataDir);
        int port = FreePort.pick();
        int controllerPort = FreePort.pick();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(KAFKA_JVM_OPTIONS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BrokerMain.class.getName(),
                dataDir.toString(), Integer.toString(port), Integer.toString(controllerPort), Uuid.randomUuid().toString()));
        Path log = dataDir.resolve("broker.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        BrokerProcess broker = new BrokerProcess(process, "127.0.0.1:" + port);
        EmbeddedKafkaBroker.awaitReadyOrClose(broker.bootstrapServers, readyTimeout,
                () -> process.isAlive() ? null : "it exited with " + process.exitValue() + "; see " + log, broker::close);
        return broker;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** CPU time (user and system) the child has used so far, or -1 where the OS does not say. */
    public long cpuNanos() {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    /** Stops the child as its service manager would (SIGTERM, then SIGKILL after 30 s). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
