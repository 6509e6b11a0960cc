package io.memstream.client;

import io.memstream.registry.RegistryAvroSerde;
import io.memstream.schema.Continuation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads memstream's output topic {@code read_committed}: only continuations of committed
 * transactions, so a processor crash never shows half a batch. Reads every partition directly (no
 * consumer group), from the beginning or from the end.
 */
public final class ContinuationReader implements AutoCloseable {
    private final KafkaConsumer<String, Continuation> consumer;

    /** @param configs Kafka consumer and schema registry settings */
    public ContinuationReader(Map<String, Object> configs, String topic, boolean fromBeginning) {
        Map<String, Object> consumerConfigs = new HashMap<>(ClientConfigs.consumer(configs));
        consumerConfigs.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfigs.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumerConfigs.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer = new KafkaConsumer<>(consumerConfigs, new StringDeserializer(),
                new RegistryAvroSerde<>(Continuation.class, configs, false).deserializer());
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (partitions == null || partitions.isEmpty()) {
            consumer.close();
            throw new IllegalStateException("topic '" + topic + "' does not exist");
        }
        List<TopicPartition> assigned = partitions.stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(assigned);
        if (fromBeginning) {
            consumer.seekToBeginning(assigned);
        } else {
            consumer.seekToEnd(assigned);
        }
    }

    /** The continuations that arrived within {@code timeout} (possibly none). */
    public List<ConsumerRecord<String, Continuation>> poll(Duration timeout) {
        List<ConsumerRecord<String, Continuation>> records = new ArrayList<>();
        consumer.poll(timeout).forEach(records::add);
        return records;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
