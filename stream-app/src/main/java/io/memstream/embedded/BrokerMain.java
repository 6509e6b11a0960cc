package io.memstream.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;

/**
 * A one-node KRaft broker in a JVM of its own, on fixed ports: the crash tests kill it with SIGKILL and
 * start it again on the same data and addresses (clients keep their bootstrap list), and the end-to-end
 * benchmark runs its broker apart from memstream's JVM and its JIT settings ({@code bench e2e --broker-jvm}).
 * Args: data dir, client port, controller port, cluster id, then optional {@code key=value} server
 * settings that replace memstream's (for experiments such as {@code TxnOffsetStallRepro}). Prints
 * {@code BROKER STARTED} once the server started; callers wait for metadata to answer before they
 * count it ready. It stops when the process that started it ends, so a killed test or benchmark
 * leaves no broker behind.
 */
public final class BrokerMain {

    private BrokerMain() { }

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        int controllerPort = Integer.parseInt(args[2]);
        String clusterId = args[3];
        Path logDir = Files.createDirectories(dataDir.resolve("kraft"));
        Properties props = EmbeddedKafkaBroker.serverProperties(logDir, port, controllerPort);
        for (int i = 4; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        try {
            EmbeddedKafkaBroker.writeAndFormat(dataDir, props, clusterId);
        } catch (IOException e) {
            System.err.println(e.getMessage());
            System.exit(3);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
            server.shutdown();
            System.exit(0);
        }));
        System.out.println("BROKER STARTED on 127.0.0.1:" + port);
        server.awaitShutdown();
    }
}
