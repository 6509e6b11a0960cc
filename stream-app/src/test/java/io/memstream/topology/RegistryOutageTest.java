package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.model.TestModels;
import io.memstream.schema.TokenChunk;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/**
 * A registry that cannot be reached is an outage, not a bad record: the record must not become a
 * dead letter (it would never be processed), the task stops instead and the offset stays uncommitted.
 * Before the fix every record read during an outage longer than the client's retries was
 * dead-lettered.
 */
class RegistryOutageTest {

    @Test
    void anUnreachableRegistryStopsTheTaskInsteadOfDeadLetteringGoodRecords() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Properties user = new Properties();
        user.put(TopologyConfig.BATCH_MAX_SIZE, "1");
        // at-least-once: TopologyTestDriver then commits after every record
        user.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        user.put(StreamsConfig.APPLICATION_ID_CONFIG, "outage");
        user.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        Path stateDir = Files.createTempDirectory("memstream-outage");
        user.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        TopologyConfig config = TopologyConfig.fromProperties(user);
        MemstreamSerdes down = new MemstreamSerdes(Map.of("schema.registry.url", "http://127.0.0.1:" + closedPort,
                "schema.registry.max.retries", "0"));
        // A record as a producer wrote it while the registry was up (schema id 1).
        MemstreamSerdes up = new MemstreamSerdes(Map.of("schema.registry.url", "mock://outage-" + UUID.randomUUID()));
        byte[] value = up.chunk().serializer().serialize(config.inputTopic(), TokenChunk.newBuilder().setStreamId("s")
                .setSeq(0).setText("a good record").setProducedAt(Instant.EPOCH).build());
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TopologyTestDriver driver = new TopologyTestDriver(
                MemstreamTopology.build(config, TestModels.tinyRuntime(), down, meters),
                MemstreamTopology.streamsProperties(config, user))) {
            TestInputTopic<String, byte[]> in = driver.createInputTopic(config.inputTopic(), new StringSerializer(),
                    new ByteArraySerializer());
            TestOutputTopic<byte[], byte[]> dlq = driver.createOutputTopic(config.dlqTopic(), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            StreamsException e = assertThrows(StreamsException.class, () -> in.pipeInput("s", value));
            assertTrue(io.memstream.registry.SchemaRegistryException.isRegistrysFault(e), "cause: " + e);
            assertTrue(dlq.isEmpty(), "a good record in the dead-letter topic");
            var undecodable = meters.find("memstream.dead.letters").tag("reason", "undecodable").counter();
            assertEquals(0, undecodable == null ? 0 : undecodable.count(), "an outage is not counted as a bad record");
        }
    }

    @Test
    void aSchemaIdTheRegistryDoesNotKnowIsStillABadRecord() {
        assertTrue(!io.memstream.registry.SchemaRegistryException.isRegistrysFault(
                new io.memstream.registry.SchemaNotFoundException("Schema id 9 not found", 40403)));
        assertTrue(io.memstream.registry.SchemaRegistryException.isRegistrysFault(
                new org.apache.kafka.common.errors.SerializationException("wrapped",
                        new io.memstream.registry.SchemaRegistryException("HTTP 503", 50003))));
        assertTrue(io.memstream.registry.SchemaRegistryException.isRegistrysFault(
                new io.memstream.registry.SchemaRegistryException("unreachable", -1)));
    }
}
