package io.memstream.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Points a consumer at every partition of one topic, without a consumer group: a reader for people
 * should neither wait for a rebalance nor move anyone's committed offsets.
 */
final class TopicAssignment {
    private TopicAssignment() {
    }

    /** Consumer settings of such a reader: committed records only, no group, no offset commits. */
    static Map<String, Object> readerConfigs(Map<String, Object> configs) {
        Map<String, Object> consumerConfigs = new HashMap<>(ClientConfigs.consumer(configs));
        consumerConfigs.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfigs.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumerConfigs.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return consumerConfigs;
    }

    /** Assigns all partitions of {@code topic} and seeks to their beginning or end; closes the consumer if the topic is missing. */
    static void assignAll(Consumer<?, ?> consumer, String topic, boolean fromBeginning, Object bootstrapServers) {
        assign(consumer, topic, null, fromBeginning, bootstrapServers);
    }

    /**
     * Like {@link #assignAll}, but with a {@code key} only the partition that key's records go to: the
     * producer's default partitioner on the key's UTF-8 bytes (memstream writes continuations keyed by
     * stream id with a string serializer), so following one stream reads one partition, not all.
     */
    static void assign(Consumer<?, ?> consumer, String topic, String key, boolean fromBeginning, Object bootstrapServers) {
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (partitions == null || partitions.isEmpty()) {
            consumer.close();
            throw new TopicNotFoundException(topic, String.valueOf(bootstrapServers));
        }
        List<TopicPartition> assigned = key == null
                ? partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList()
                : List.of(new TopicPartition(topic,
                        BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), partitions.size())));
        consumer.assign(assigned);
        if (fromBeginning) {
            consumer.seekToBeginning(assigned);
        } else {
            consumer.seekToEnd(assigned);
        }
    }
}
