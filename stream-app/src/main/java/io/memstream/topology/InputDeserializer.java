package io.memstream.topology;

import io.memstream.registry.SchemaRegistryException;
import io.memstream.schema.TokenChunk;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The input topic's value deserializer, run by {@link RecordDecoder}: enforces {@code record.max.bytes}
 * and counts what cannot be read. Both cases throw, so the processing-exception handler sends the
 * original bytes to the dead-letter topic with the reason in headers, and the model never sees them
 * (unless the registry itself failed: see {@link MemstreamProcessingExceptionHandler}).
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
            TokenChunk chunk = headers == null ? inner.deserialize(topic, data) : inner.deserialize(topic, headers, data);
            if (chunk != null) {
                requireValidUtf8(topic, chunk, data);
            }
            return chunk;
        } catch (RuntimeException e) {
            // A registry outage stops the task (MemstreamProcessingExceptionHandler): no dead letter to count.
            if (!SchemaRegistryException.isRegistrysFault(e)) {
                metrics.undecodable.increment();
            }
            throw e;
        }
    }

    /**
     * Avro decodes a string with invalid UTF-8 bytes into U+FFFD replacement characters without a
     * word, so such a text would be absorbed altered, and two malformed stream ids could merge. Only a
     * string that contains U+FFFD can have been altered: it is genuine when its UTF-8 encoding occurs
     * verbatim in the record's bytes (Avro stores strings as raw UTF-8), else the producer sent
     * invalid UTF-8 and the record is undecodable.
     */
    private static void requireValidUtf8(String topic, TokenChunk chunk, byte[] data) {
        checkUtf8(topic, "streamId", chunk.getStreamId(), data);
        checkUtf8(topic, "text", chunk.getText(), data);
        if (chunk.getGenerate() != null) {
            for (String stop : chunk.getGenerate().getStopSequences()) {
                checkUtf8(topic, "generate.stopSequences", stop, data);
            }
        }
    }

    private static void checkUtf8(String topic, String field, String value, byte[] data) {
        if (value == null || value.indexOf('\uFFFD') < 0) {
            return;
        }
        byte[] encoded = value.getBytes(StandardCharsets.UTF_8);
        if (indexOf(data, encoded) < 0) {
            throw new SerializationException("TokenChunk on topic '" + topic + "' has invalid UTF-8 in field '"
                    + field + "'");
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() {
        inner.close();
    }
}
