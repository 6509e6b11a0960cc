package io.memstream.topology;

import io.memstream.schema.Continuation;
import io.memstream.schema.MemoryState;
import io.memstream.schema.PendingChunks;
import io.memstream.schema.TokenChunk;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every serde of the topology, in one place.
 *
 * <p>Topic values are Avro in the Confluent wire format through the schema registry; store values
 * are plain Avro binary. The input value deserializer also enforces {@code record.max.bytes}: an
 * oversized value fails to deserialize, so Streams' dead-letter support forwards the original bytes
 * with the reason in headers, and the model never sees it.
 */
public final class MemstreamSerdes {

    private final Map<String, ?> registryConfigs;

    /** @param registryConfigs client settings of the registry serdes ({@code schema.registry.url}, auth, ...) */
    public MemstreamSerdes(Map<String, ?> registryConfigs) {
        this.registryConfigs = Map.copyOf(registryConfigs);
    }

    public Serde<String> key() {
        return Serdes.String();
    }

    /** Input values, rejecting any serialized value over {@code maxBytes}. */
    public Serde<TokenChunk> chunk(int maxBytes) {
        Serde<TokenChunk> inner = topicValue(TokenChunk.class);
        Deserializer<TokenChunk> limited = (topic, data) -> {
            if (data != null && data.length > maxBytes) {
                throw new RecordTooLargeException("record of " + data.length + " bytes exceeds "
                        + TopologyConfig.RECORD_MAX_BYTES + "=" + maxBytes);
            }
            return inner.deserializer().deserialize(topic, data);
        };
        return Serdes.serdeFrom(inner.serializer(), limited);
    }

    public Serde<Continuation> continuation() {
        return topicValue(Continuation.class);
    }

    public Serde<MemoryState> memoryState() {
        return new AvroBinarySerde<>(MemoryState.class);
    }

    public Serde<PendingChunks> pendingChunks() {
        return new AvroBinarySerde<>(PendingChunks.class);
    }

    /** The one place that decides the topics' wire format. */
    <T extends SpecificRecord> Serde<T> topicValue(Class<T> type) {
        Serde<T> serde = new AvroBinarySerde<>(type);
        serde.configure(registryConfigs, false);
        return serde;
    }
}
