package io.memstream.topology;

import io.memstream.embedded.EmbeddedKafkaBroker;
import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A real one-node KRaft broker: a Testcontainers container where a Docker engine answers, else
 * Kafka's own test kit inside this JVM. Callers only see {@link #bootstrapServers()}. A test class
 * shares one for all its tests as a JUnit extension:
 * {@code @RegisterExtension static final KafkaFixture kafka = new KafkaFixture();} starts it before
 * the first test and stops it after the last.
 */
final class KafkaFixture implements BeforeAllCallback, AfterAllCallback {

    /** One-node settings without which Streams waits forever for replication factor 3 topics. */
    private static final Map<String, String> ONE_NODE = EmbeddedKafkaBroker.ONE_NODE;

    private AutoCloseable broker;
    private String bootstrap;
    private String kind;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (broker != null) {
            close();
        }
    }

    private void start() throws Exception {
        if (dockerAvailable()) {
            // The broker image of the same release as the client libraries on the classpath.
            KafkaContainer container = new KafkaContainer("apache/kafka:" + AppInfoParser.getVersion());
            ONE_NODE.forEach((k, v) -> container.withEnv("KAFKA_" + k.toUpperCase().replace('.', '_'), v));
            container.start();
            started(container, container.getBootstrapServers(), "testcontainers");
            return;
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
        started(kit, kit.bootstrapServers(), "in-JVM KRaft test kit");
    }

    private void started(AutoCloseable broker, String bootstrap, String kind) {
        this.broker = broker;
        this.bootstrap = bootstrap;
        this.kind = kind;
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

    private void close() {
        try {
            broker.close();
        } catch (Exception e) {
            throw new IllegalStateException("broker did not stop cleanly", e);
        } finally {
            broker = null;
        }
    }
}
