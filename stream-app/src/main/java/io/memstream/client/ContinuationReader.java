package io.memstream.client;

import io.memstream.registry.RegistryAvroSerde;
import io.memstream.schema.Continuation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
        this(configs, topic, null, fromBeginning);
    }

    /**
     * @param streamId with a stream id, only the partition that stream's continuations are written to
     *                 (other streams on it still arrive: filter by key); null for every partition
     */
    public ContinuationReader(Map<String, Object> configs, String topic, String streamId, boolean fromBeginning) {
        Map<String, Object> consumerConfigs = TopicAssignment.readerConfigs(configs);
        this.consumer = new KafkaConsumer<>(consumerConfigs, new StringDeserializer(),
                new RegistryAvroSerde<>(Continuation.class, configs, false).deserializer());
        TopicAssignment.assign(consumer, topic, streamId, fromBeginning, configs.get("bootstrap.servers"));
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
