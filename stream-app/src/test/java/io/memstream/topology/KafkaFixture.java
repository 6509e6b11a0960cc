package io.memstream.topology;

import io.memstream.embedded.EmbeddedKafkaBroker;
import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A real one-node KRaft broker: a Testcontainers container where a Docker engine answers, else
 * Kafka's own test kit inside this JVM. Callers only see {@link #bootstrapServers()}.
 */
final class KafkaFixture implements AutoCloseable {

    /** One-node settings without which Streams waits forever for replication factor 3 topics. */
    private static final Map<String, String> ONE_NODE = EmbeddedKafkaBroker.ONE_NODE;

    private final AutoCloseable broker;
    private final String bootstrap;
    private final String kind;

    private KafkaFixture(AutoCloseable broker, String bootstrap, String kind) {
        this.broker = broker;
        this.bootstrap = bootstrap;
        this.kind = kind;
    }

    static KafkaFixture start() throws Exception {
        if (dockerAvailable()) {
            // The broker image of the same release as the client libraries on the classpath.
            KafkaContainer container = new KafkaContainer("apache/kafka:" + AppInfoParser.getVersion());
            ONE_NODE.forEach((k, v) -> container.withEnv("KAFKA_" + k.toUpperCase().replace('.', '_'), v));
            container.start();
            return new KafkaFixture(container, container.getBootstrapServers(), "testcontainers");
        }
        TestKitNodes nodes = new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1)
                .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                .build();
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
        ONE_NODE.forEach(builder::setConfigProp);
        KafkaClusterTestKit kit = builder.build();
        kit.format();
        kit.startup();
        kit.waitForReadyBrokers();
        return new KafkaFixture(kit, kit.bootstrapServers(), "in-JVM KRaft test kit");
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    String bootstrapServers() {
        return bootstrap;
    }

    String kind() {
        return kind;
    }

    @Override
    public void close() {
        try {
            broker.close();
        } catch (Exception e) {
            throw new IllegalStateException("broker did not stop cleanly", e);
        }
    }
}
