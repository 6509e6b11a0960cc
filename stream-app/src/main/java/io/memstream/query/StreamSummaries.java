package io.memstream.query;

import io.memstream.schema.MemoryState;
import io.memstream.schema.StateTensor;
import io.memstream.topology.MemstreamTopology;
import java.io.IOException;
import java.util.List;
import java.util.function.ToLongFunction;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Answers {@code GET /streams/{id}} on any instance: Kafka Streams' key metadata names the instance
 * whose active task holds the stream's partition ({@code application.server}); this instance reads
 * its own {@code memory} store when that is itself, and otherwise asks the owner over HTTP.
 * Standby copies are never read: they may lag the active one.
 */
public final class StreamSummaries {
    private final KafkaStreams streams;
    private final HostInfo self;
    private final String modelId;
    private final String modelFingerprint;
    private final ToLongFunction<MemoryState> storedBytes;
    private final OwnerClient owners = new OwnerClient();

    /**
     * @param self        this instance's {@code application.server}
     * @param storedBytes the size of a memory value as the store keeps it
     */
    public StreamSummaries(KafkaStreams streams, HostInfo self, String modelId, String modelFingerprint,
                           ToLongFunction<MemoryState> storedBytes) {
        this.streams = streams;
        this.self = self;
        this.modelId = modelId;
        this.modelFingerprint = modelFingerprint;
        this.storedBytes = storedBytes;
    }

    /**
     * @param forwarded the request comes from another instance that took this one for the owner:
     *                  answer from here or say it is unavailable, never forward again
     */
    public StreamLookup lookup(String streamId, boolean forwarded) {
        String me = self.host() + ":" + self.port();
        KeyQueryMetadata where;
        try {
            where = streams.queryMetadataForKey(MemstreamTopology.MEMORY_STORE, streamId, Serdes.String().serializer());
        } catch (IllegalStateException e) {
            return StreamLookup.unavailable("Kafka Streams is not running here (" + streams.state() + ")", me);
        }
        if (where == null || where.equals(KeyQueryMetadata.NOT_AVAILABLE)
                || where.activeHost().equals(HostInfo.unavailable())) {
            return StreamLookup.unavailable("the owner of stream '" + streamId + "' is not known yet (rebalancing)", me);
        }
        if (!where.activeHost().equals(self)) {
            if (forwarded) {
                return StreamLookup.unavailable("stream '" + streamId + "' is moving between instances", me);
            }
            return forward(where.activeHost(), streamId, me);
        }
        return local(streamId, where.partition(), me);
    }

    private StreamLookup local(String streamId, int partition, String me) {
        MemoryState state;
        try {
            ReadOnlyKeyValueStore<String, MemoryState> store = streams.store(StoreQueryParameters
                    .fromNameAndType(MemstreamTopology.MEMORY_STORE, QueryableStoreTypes.<String, MemoryState>keyValueStore())
                    .withPartition(partition));
            state = store.get(streamId);
        } catch (InvalidStateStoreException e) {
            return StreamLookup.unavailable("the store of partition " + partition + " is not queryable yet ("
                    + e.getMessage() + ")", me);
        }
        if (state == null) {
            return StreamLookup.notFound(streamId, me);
        }
        return StreamLookup.found(new StreamSummary(streamId, state.getLastSeq(), state.getChunksAbsorbed(),
                state.getTokensAbsorbed(), state.getUpdatedAt().toString(), state.getModelFingerprint(), modelId,
                modelFingerprint.equals(state.getModelFingerprint()), storedBytes.applyAsLong(state), dtypes(state),
                partition, me));
    }

    /** The stored tensors' element type, or each one's where they differ. */
    private static String dtypes(MemoryState state) {
        List<String> each = state.getTensors().stream().map(StateTensor::getDtype).toList();
        return each.stream().distinct().count() == 1 ? each.get(0) : String.join(",", each);
    }

    private StreamLookup forward(HostInfo owner, String streamId, String me) {
        try {
            return owners.get(owner, streamId);
        } catch (IOException e) {
            return StreamLookup.unavailable("the owner " + owner.host() + ":" + owner.port() + " of stream '"
                    + streamId + "' did not answer: " + e, me);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return StreamLookup.unavailable("interrupted while asking " + owner.host() + ":" + owner.port(), me);
        }
    }
}
