package io.memstream.topology;

import io.memstream.schema.TokenChunk;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Reads the input record's key ({@link StreamIdDeserializer}) and value ({@link InputDeserializer})
 * from their bytes and hands the chunk to {@link MemoryProcessor}. Why a processor rather than the
 * source's deserializers: a record that fails here is a processed record, so its dead letter (written
 * by {@link MemstreamProcessingExceptionHandler}) and its input offset commit in one transaction.
 * A record that failed in the source's deserializer was dropped while the queue's next record
 * became its head, and the dropped record's offset was committed only with that next record: a
 * commit in between and a crash read it again and wrote its dead letter twice (Kafka Streams covers
 * only a queue of nothing but bad records, KAFKA-6502; issue 6's closing note, the crash test's
 * {@code dlq_mismatches=1}).
 */
final class RecordDecoder implements Processor<byte[], byte[], String, TokenChunk> {

    private final Deserializer<String> keys;
    private final Deserializer<TokenChunk> values;
    private final String inputTopic;
    private ProcessorContext<String, TokenChunk> context;

    RecordDecoder(Deserializer<String> keys, Deserializer<TokenChunk> values, String inputTopic) {
        this.keys = keys;
        this.values = values;
        this.inputTopic = inputTopic;
    }

    @Override
    public void init(ProcessorContext<String, TokenChunk> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse(inputTopic);
        // Key first, as Streams' own record deserializer does, so a record bad in both is counted once.
        String key = keys.deserialize(topic, record.headers(), record.key());
        TokenChunk value = values.deserialize(topic, record.headers(), record.value());
        context.forward(record.withKey(key).withValue(value));
    }

    @Override
    public void close() {
        values.close();
    }
}
