package io.memstream.topology;

import io.memstream.schema.MemoryState;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The task's memory store, read through a bounded cache of the states it last wrote or read.
 *
 * <p>Every chunk reads its stream's memory twice: when it arrives (its last seq, for the duplicate
 * check) and when its batch is prepared (the tensors), and the state it reads is most often the one
 * the stream's previous chunk wrote. Each store read is a RocksDB get and an Avro decode that
 * allocates the whole state again (8 KB for the default model); in a profiled warm run the store's
 * reads and their decoding were about a sixth of the stream thread's samples. The cache holds the
 * very objects put (nothing changes a {@link MemoryState} after it is built), so a hit returns what
 * the store would decode.
 *
 * <p>Writes go to the store first, then to the cache; deletes drop the entry. The cache lives and
 * dies with the processor, like {@link PendingQueue}'s headers: a task that is closed, moved or
 * revived after an aborted transaction starts with an empty one, so it never serves a state the
 * changelog does not hold. Only this class writes the store.
 */
final class MemoryStates {

    private final KeyValueStore<String, MemoryState> store;
    private final Map<String, MemoryState> recent;

    /** {@code maxEntries} 0 reads every state from the store. */
    MemoryStates(KeyValueStore<String, MemoryState> store, int maxEntries) {
        this.store = store;
        this.recent = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, MemoryState> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /** The entries a budget of {@code maxBytes} holds for states of {@code stateBytes} each. */
    static int entriesFor(long maxBytes, long stateBytes) {
        return (int) Math.min(Integer.MAX_VALUE, maxBytes / Math.max(1, stateBytes));
    }

    /** The stream's state, or null when it has none. */
    MemoryState get(String streamId) {
        MemoryState state = recent.get(streamId);
        if (state == null) {
            state = store.get(streamId);
            if (state != null) {
                recent.put(streamId, state);
            }
        }
        return state;
    }

    void put(String streamId, MemoryState state) {
        store.put(streamId, state);
        recent.put(streamId, state);
    }

    void delete(String streamId) {
        recent.remove(streamId);
        store.put(streamId, null); // deletes without reading and decoding the old state, as delete() would
    }

    /** Every stored state, from the store; the caller closes the iterator. */
    KeyValueIterator<String, MemoryState> all() {
        return store.all();
    }

    int cached() {
        return recent.size();
    }
}
