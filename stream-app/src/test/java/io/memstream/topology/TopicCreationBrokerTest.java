package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.client.TopicCreation;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Topics created for a producer that writes at once: every partition led before the call returns. */
class TopicCreationBrokerTest {

    @RegisterExtension
    static final KafkaFixture kafka = new KafkaFixture();

    @Test
    void returnsWithEveryPartitionLedAndAnIdempotentProducerWritesAtOnce() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic("led-a", 6, (short) 1),
                    new NewTopic("led-b", 1, (short) 1)));
            Map<String, TopicDescription> topics = admin.describeTopics(List.of("led-a", "led-b")).allTopicNames().get();
            assertEquals(6, topics.get("led-a").partitions().size());
            topics.values().forEach(t -> t.partitions().forEach(p -> assertTrue(p.leader() != null && !p.leader().isEmpty(),
                    t.name() + "-" + p.partition() + " has no leader")));
        }
        Map<String, Object> producer = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (KafkaProducer<String, String> p = new KafkaProducer<>(producer, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 60; i++) {
                p.send(new ProducerRecord<>("led-a", i % 6, "k" + i, "v" + i));
            }
            p.flush();
            assertEquals(10, p.send(new ProducerRecord<>("led-a", 5, "k", "last")).get().offset(),
                    "partition 5 holds the ten records sent to it before");
        }
    }

    @Test
    void anExistingTopicIsServedOnReturnAndAnUnknownOneIsLeftAlone() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            // Created by someone else moments before: accepted by the controller, not necessarily led yet.
            admin.createTopics(List.of(new NewTopic("just-created", 4, (short) 1))).all().get();
            assertTrue(TopicCreation.awaitServingIfExists(admin, "just-created"));
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            for (int p = 0; p < 4; p++) {
                ends.put(new TopicPartition("just-created", p), OffsetSpec.latest());
            }
            assertEquals(4, admin.listOffsets(ends).all().get().size(), "every partition's leader answers at once");

            assertFalse(TopicCreation.awaitServingIfExists(admin, "nobody-created"));
            assertFalse(admin.listTopics().names().get().contains("nobody-created"), "asking does not create it");
        }
    }

    @Test
    void aTopicThatNeverGetsALeaderTimesOutNamingIt() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TimeoutException e = assertThrows(TimeoutException.class,
                    () -> TopicCreation.awaitLeaders(admin, List.of("never-created"), Duration.ofMillis(300)));
            assertTrue(e.getMessage().contains("never-created"), e.getMessage());
        }
    }
}
