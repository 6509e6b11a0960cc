package io.memstream.topology;

import io.memstream.registry.RegistryAvroSerde;
import io.memstream.schema.Continuation;
import io.memstream.schema.MemoryState;
import io.memstream.schema.PendingChunk;
import io.memstream.schema.PendingStream;
import io.memstream.schema.TokenChunk;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every serde of the topology, in one place.
 *
 * <p>Topic values are Avro in the Confluent wire format through the schema registry; store values
 * are plain Avro binary.
 */
public final class MemstreamSerdes {

    private final Map<String, ?> registryConfigs;

    /**
     * @param registryConfigs client settings of the registry serdes ({@code schema.registry.url}:
     *     {@code http(s)://...} or {@code mock://<scope>} in-process; auth; ...)
     */
    public MemstreamSerdes(Map<String, ?> registryConfigs) {
        this.registryConfigs = Map.copyOf(registryConfigs);
    }

    public Serde<String> key() {
        return Serdes.String();
    }

    /** Input values (producers and tests use its serializer; the topology wraps its deserializer). */
    public Serde<TokenChunk> chunk() {
        return topicValue(TokenChunk.class);
    }

    public Serde<Continuation> continuation() {
        return topicValue(Continuation.class);
    }

    public Serde<MemoryState> memoryState() {
        return new AvroBinarySerde<>(MemoryState.class);
    }

    public Serde<PendingStream> pendingStream() {
        return new AvroBinarySerde<>(PendingStream.class);
    }

    public Serde<PendingChunk> pendingChunk() {
        return new AvroBinarySerde<>(PendingChunk.class);
    }

    /** The one place that decides the topics' wire format. */
    <T extends SpecificRecord> Serde<T> topicValue(Class<T> type) {
        return new RegistryAvroSerde<>(type, registryConfigs, false);
    }
}
