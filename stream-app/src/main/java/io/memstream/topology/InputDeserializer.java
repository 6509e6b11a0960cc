package io.memstream.topology;

import io.memstream.registry.SchemaRegistryException;
import io.memstream.schema.TokenChunk;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The input topic's value deserializer: enforces {@code record.max.bytes} and counts what cannot be
 * read. Both cases throw, so Streams' deserialization handler forwards the original bytes to the
 * dead-letter topic with the reason in headers, and the model never sees them (unless the registry
 * itself failed: see {@link MemstreamDeserializationExceptionHandler}).
 */
final class InputDeserializer implements Deserializer<TokenChunk> {

    private final Deserializer<TokenChunk> inner;
    private final int maxBytes;
    private final TopologyMetrics metrics;

    InputDeserializer(Deserializer<TokenChunk> inner, int maxBytes, TopologyMetrics metrics) {
        this.inner = inner;
        this.maxBytes = maxBytes;
        this.metrics = metrics;
    }

    @Override
    public TokenChunk deserialize(String topic, byte[] data) {
        return deserialize(topic, null, data);
    }

    @Override
    public TokenChunk deserialize(String topic, Headers headers, byte[] data) {
        if (data != null && data.length > maxBytes) {
            metrics.deadLetters("oversized").increment();
            throw new RecordTooLargeException("record value of " + data.length + " bytes exceeds "
                    + TopologyConfig.RECORD_MAX_BYTES + "=" + maxBytes);
        }
        try {
            return headers == null ? inner.deserialize(topic, data) : inner.deserialize(topic, headers, data);
        } catch (RuntimeException e) {
            // A registry outage stops the task (MemstreamDeserializationExceptionHandler): no dead letter to count.
            if (!SchemaRegistryException.isRegistrysFault(e)) {
                metrics.undecodable.increment();
            }
            throw e;
        }
    }

    @Override
    public void close() {
        inner.close();
    }
}
