package io.memstream.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real one-node Kafka broker (KRaft, combined broker and controller) running inside this JVM on
 * loopback ports, with its data in a directory of the caller's. For {@code memstream demo}: the whole
 * pipeline with nothing to install. Not a production broker (one node, replication factor 1).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    /**
     * Without these a one-node cluster cannot create its internal topics and Streams never runs.
     * Shared with the test fixture, so the demo and the tests run the same broker settings.
     *
     * <p>The cleanup interval keeps a restarted node from leaving timed-out transactions hanging (issue 7,
     * docs/RELIABILITY.md). A node restarted after SIGKILL runs its transaction coordinator on its old
     * registration until the controller fences that registration ({@code broker.session.timeout.ms},
     * 9 s) and unfences the new one; in between every partition is briefly leaderless, and Kafka 4.3.1
     * drops the transaction markers it is sending to a leaderless partition as if the partition were
     * deleted (KAFKA-20734), then records the transaction as complete. A transaction that timed out
     * while the node was down is aborted at the coordinator's first timeout check, so that check
     * must come after the restart has settled: 30 s instead of Kafka's 10 s (which lands only 0-3 s
     * after the window ends). Timed-out transactions are aborted up to 30 s late in exchange.
     * The markers of a commit still being written at the SIGKILL are resent inside the window and
     * can still be lost; no setting avoids that.
     */
    public static final Map<String, String> ONE_NODE = Map.of(
            "offsets.topic.replication.factor", "1",
            "offsets.topic.num.partitions", "1",
            "transaction.state.log.replication.factor", "1",
            "transaction.state.log.min.isr", "1",
            "transaction.state.log.num.partitions", "1",
            "min.insync.replicas", "1",
            "share.coordinator.state.topic.replication.factor", "1",
            "share.coordinator.state.topic.min.isr", "1",
            "group.initial.rebalance.delay.ms", "0",
            "transaction.abort.timed.out.transaction.cleanup.interval.ms", "30000");

    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
    }

    /** A one-node KRaft broker+controller on loopback {@code port}/{@code controllerPort}, data in {@code logDir}. */
    public static Properties serverProperties(Path logDir, int port, int controllerPort) {
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("num.partitions", "1");
        props.putAll(ONE_NODE);
        return props;
    }

    /** Formats {@code dataDir}, starts the broker and returns once it answers metadata requests. */
    public static EmbeddedKafkaBroker start(Path dataDir, Duration readyTimeout) throws IOException {
        int port = FreePort.pick();
        int controllerPort = FreePort.pick();
        Properties props = serverProperties(Files.createDirectories(dataDir.resolve("kraft")), port, controllerPort);
        writeAndFormat(dataDir, props, Uuid.randomUuid().toString());

        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, "127.0.0.1:" + port);
        awaitReadyOrClose(broker.bootstrapServers, readyTimeout, () -> null, broker::close);
        return broker;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * Writes {@code props} to {@code dataDir}/server.properties and formats the node's storage as
     * {@code kafka-storage.sh format --standalone} does: cluster {@code clusterId}, this node the only
     * voter. Storage formatted before is kept ({@code --ignore-formatted}), so a node restarted on its
     * data (the crash tests' broker) keeps it.
     */
    static void writeAndFormat(Path dataDir, Properties props, String clusterId) throws IOException {
        Path serverProperties = dataDir.resolve("server.properties");
        try (Writer out = Files.newBufferedWriter(serverProperties, StandardCharsets.UTF_8)) {
            props.store(out, "memstream one-node broker");
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int status;
        try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            status = StorageTool.execute(new String[] {"format", "--standalone", "--ignore-formatted",
                "-t", clusterId, "-c", serverProperties.toString()}, print);
        }
        if (status != 0) {
            throw new IOException("formatting the broker's storage failed: " + output.toString(StandardCharsets.UTF_8));
        }
    }

    /** {@link #awaitReady}, and on failure {@code close} (the broker that did not come up) before the failure is thrown. */
    static void awaitReadyOrClose(String bootstrapServers, Duration timeout, Supplier<String> failure, Runnable close)
            throws IOException {
        try {
            awaitReady(bootstrapServers, timeout, failure);
        } catch (IOException | RuntimeException e) {
            close.run();
            throw e;
        }
    }

    /**
     * An open port is not a ready broker: waits until the broker at {@code bootstrapServers} answers a
     * metadata request with a node, or {@code timeout} passes, or {@code failure} names why it never
     * will (a child process that exited).
     */
    public static void awaitReady(String bootstrapServers, Duration timeout, Supplier<String> failure)
            throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> adminConfig = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4000);
        try (Admin admin = Admin.create(adminConfig)) {
            while (true) {
                String failed = failure.get();
                if (failed != null) {
                    throw new IOException("broker at " + bootstrapServers + " did not start: " + failed);
                }
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("broker at " + bootstrapServers + " not ready after "
                                + timeout.toSeconds() + " s", e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("broker at " + bootstrapServers + " has no node after "
                            + timeout.toSeconds() + " s");
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the broker at " + bootstrapServers, e);
        }
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
