package io.memstream.topology;

import io.memstream.topology.ReliabilityCrashTest.Sent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The crash test's raw Kafka I/O, independent of memstream's clients so that what the test sees is
 * what the broker holds: the paced producer of the input script, the read_committed readers of the
 * outputs, and the broker-side diagnosis printed when a run stalls.
 */
final class CrashTopics {

    private CrashTopics() { }

    /**
     * What a stall looks like from the broker: the coordinator's transactions, the group's state and
     * members, and the partitions of this run (and __consumer_offsets) whose log still has a transaction
     * open (KIP-664's describeProducers): a transaction open in a log but not at the coordinator is
     * hanging, the signature of issue 7's broker-restart stall.
     */
    static void diagnose(String bootstrap, String appId, String run, int seen, int expected) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            var listings = admin.listTransactions().all().get();
            var ids = listings.stream().map(t -> t.transactionalId()).toList();
            var described = ids.isEmpty() ? Map.of() : admin.describeTransactions(ids).all().get();
            var group = admin.describeConsumerGroups(List.of(appId)).all().get().get(appId);
            List<TopicPartition> parts = new ArrayList<>(List.of(new TopicPartition("__consumer_offsets", 0)));
            var topics = admin.listTopics().names().get().stream().filter(n -> n.contains(run)).toList();
            admin.describeTopics(topics).allTopicNames().get().forEach((name, d) -> d.partitions()
                    .forEach(p -> parts.add(new TopicPartition(name, p.partition()))));
            Map<TopicPartition, Object> open = new HashMap<>();
            admin.describeProducers(parts).all().get().forEach((tp, d) -> d.activeProducers().stream()
                    .filter(p -> p.currentTransactionStartOffset().isPresent()).forEach(p -> open.put(tp, p)));
            System.out.printf("crash test: STALL at %d of %d: transactions %s; group %s with %d members; "
                            + "transactions open in partition logs %s%n",
                    seen, expected, described, group.groupState(), group.members().size(), open);
        } catch (Exception e) {
            System.out.println("crash test: diagnosis failed: " + e);
        }
    }

    static void produce(String bootstrap, String topic, List<Sent> all, int perRound, long paceMillis)
            throws InterruptedException {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000,
                ProducerConfig.LINGER_MS_CONFIG, 5), new ByteArraySerializer(), new ByteArraySerializer())) {
            int n = 0;
            for (Sent s : all) {
                producer.send(new ProducerRecord<>(topic, s.key() == null ? null : s.key().getBytes(StandardCharsets.UTF_8),
                        s.value()), (md, e) -> {
                            if (e != null) {
                                throw new IllegalStateException("send failed", e);
                            }
                        });
                if (++n % perRound == 0) {
                    producer.flush();
                    Thread.sleep(paceMillis);
                }
            }
            producer.flush();
        }
    }

    /**
     * Reads every partition from the beginning with positions of its own (no group): a reader in a group
     * rebalanced on the restarted broker and read again from its last auto-commit, which counted 15
     * continuations twice that the output topic held once.
     */
    static KafkaConsumer<byte[], byte[]> committedReader(String bootstrap, String topic) {
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }

    /** Every committed record of a topic, up to its last stable offset, in offset order per partition. */
    static List<Sent> readToEnd(String bootstrap, String topic) {
        List<Sent> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (parts.stream().anyMatch(p -> c.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(new Sent(r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), r.value()));
                }
            }
        }
        return out;
    }
}
