package io.memstream.topology;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The input topic's key deserializer, run by {@link RecordDecoder}: strict UTF-8. Kafka's {@code StringDeserializer} replaces
 * invalid bytes with U+FFFD, so two different malformed ids would become the same stream and share
 * a memory; here they fail and go to the dead-letter topic as they arrived.
 */
final class StreamIdDeserializer implements Deserializer<String> {

    private final TopologyMetrics metrics;

    StreamIdDeserializer(TopologyMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public String deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            metrics.deadLetters("bad-key").increment();
            throw new SerializationException("record key on topic '" + topic + "' is not valid UTF-8 ("
                    + data.length + " bytes); the key must be the stream id as UTF-8");
        }
    }
}
