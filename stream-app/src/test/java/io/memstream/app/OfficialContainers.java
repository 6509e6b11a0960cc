package io.memstream.app;

import io.memstream.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The official images a user would deploy with, through Testcontainers: Apache Kafka (KRaft, one
 * node, the release of the client libraries on the classpath) and Confluent's Schema Registry (the
 * image docker-compose.yml uses) on one Docker network. Only where a Docker engine answers; elsewhere
 * {@link #startOrSkip()} skips the test and says why.
 */
final class OfficialContainers implements AutoCloseable {
    static final String REGISTRY_IMAGE = "confluentinc/cp-schema-registry:8.1.0";
    private static final int REGISTRY_PORT = 8081;

    private final Network network;
    private final KafkaContainer kafka;
    private final GenericContainer<?> registry;

    private OfficialContainers(Network network, KafkaContainer kafka, GenericContainer<?> registry) {
        this.network = network;
        this.kafka = kafka;
        this.registry = registry;
    }

    static OfficialContainers startOrSkip() {
        String why = dockerMissingReason();
        Assumptions.assumeTrue(why == null, () -> "skipped: no Docker engine for the official Kafka and Schema "
                + "Registry containers (" + why + "); the in-JVM broker and tools/registry cases cover this path");
        Network network = Network.newNetwork();
        KafkaContainer kafka = new KafkaContainer("apache/kafka:" + AppInfoParser.getVersion())
                .withNetwork(network).withNetworkAliases("kafka")
                // A listener the registry container reaches by the network alias.
                .withListener("kafka:19092");
        EmbeddedKafkaBroker.ONE_NODE.forEach((k, v) -> kafka.withEnv("KAFKA_" + k.toUpperCase().replace('.', '_'), v));
        GenericContainer<?> registry = new GenericContainer<>(REGISTRY_IMAGE)
                .withNetwork(network)
                .withExposedPorts(REGISTRY_PORT)
                .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
                .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:" + REGISTRY_PORT)
                .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
                .waitingFor(Wait.forHttp("/subjects").forStatusCode(200))
                .dependsOn(kafka);
        try {
            kafka.start();
            registry.start();
        } catch (RuntimeException e) {
            registry.stop();
            kafka.stop();
            network.close();
            throw e;
        }
        return new OfficialContainers(network, kafka, registry);
    }

    /** Null when Testcontainers finds a Docker engine, else what it said. */
    private static String dockerMissingReason() {
        try {
            return DockerClientFactory.instance().isDockerAvailable() ? null : "Testcontainers found none";
        } catch (RuntimeException | LinkageError e) {
            return e.toString();
        }
    }

    String bootstrapServers() {
        return kafka.getBootstrapServers();
    }

    String registryUrl() {
        return "http://" + registry.getHost() + ":" + registry.getMappedPort(REGISTRY_PORT);
    }

    @Override
    public void close() {
        registry.stop();
        kafka.stop();
        network.close();
    }
}
