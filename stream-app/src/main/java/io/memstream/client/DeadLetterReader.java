package io.memstream.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the dead-letter topic as raw bytes (a dead letter may be anything, including bytes no
 * deserializer accepts) and decodes the reason Kafka Streams put in its {@code __streams.errors.*}
 * headers.
 */
public final class DeadLetterReader implements AutoCloseable {
    private static final String PREFIX = "__streams.errors.";

    /** One dead letter: its key and where and why it failed. */
    public record DeadLetter(String key, String sourceTopic, String sourcePartition, String sourceOffset,
                             String exception, String message, int valueBytes) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;

    public DeadLetterReader(Map<String, Object> configs, String topic, boolean fromBeginning) {
        Map<String, Object> consumerConfigs = TopicAssignment.readerConfigs(configs);
        this.consumer = new KafkaConsumer<>(consumerConfigs, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TopicAssignment.assignAll(consumer, topic, fromBeginning, configs.get("bootstrap.servers"));
    }

    public List<DeadLetter> poll(Duration timeout) {
        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
            letters.add(decode(record));
        }
        return letters;
    }

    static DeadLetter decode(ConsumerRecord<byte[], byte[]> record) {
        Headers headers = record.headers();
        return new DeadLetter(record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
                header(headers, "topic"), header(headers, "partition"), header(headers, "offset"),
                header(headers, "exception"), header(headers, "message"),
                record.value() == null ? 0 : record.value().length);
    }

    private static String header(Headers headers, String name) {
        Header header = headers.lastHeader(PREFIX + name);
        return header == null || header.value() == null ? "?" : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
