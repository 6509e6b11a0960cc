package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.memstream.schema.MemoryState;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * The memory store read through its cache: writes reach the store, reads of a cached stream do
 * not, the least recently used entries leave first, and a size of 0 reads everything from the store.
 * Each test changes the store behind the cache's back to see which of the two a read came from.
 */
class MemoryStatesTest {

    @Test
    void writesReachTheStoreAndCachedReadsDoNot() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            KeyValueStore<String, MemoryState> store = h.memory();
            MemoryStates states = new MemoryStates(store, 4);
            MemoryState a = state(1);
            states.put("a", a);
            assertEquals(a, store.get("a"));
            store.put("a", state(2));
            assertSame(a, states.get("a"));

            store.put("b", state(3));
            assertEquals(3, states.get("b").getLastSeq()); // a miss reads the store, then keeps it
            store.put("b", state(4));
            assertEquals(3, states.get("b").getLastSeq());

            states.delete("a");
            assertNull(store.get("a"));
            assertNull(states.get("a"));
            assertEquals(1, states.cached());
        }
    }

    @Test
    void theLeastRecentlyUsedStreamsLeaveFirst() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            KeyValueStore<String, MemoryState> store = h.memory();
            MemoryStates states = new MemoryStates(store, 2);
            states.put("a", state(1));
            states.put("b", state(1));
            states.get("a"); // b is now the eldest
            states.put("c", state(1));
            for (String id : List.of("a", "b", "c")) {
                store.put(id, state(9));
            }
            assertEquals(1, states.get("a").getLastSeq());
            assertEquals(1, states.get("c").getLastSeq());
            assertEquals(9, states.get("b").getLastSeq(), "b was evicted, so it is read from the store");
        }
    }

    @Test
    void noEntriesReadsEveryStateFromTheStore() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            KeyValueStore<String, MemoryState> store = h.memory();
            MemoryStates states = new MemoryStates(store, MemoryStates.entriesFor(0, 8192));
            states.put("a", state(1));
            store.put("a", state(2));
            assertEquals(2, states.get("a").getLastSeq());
            assertEquals(0, states.cached());
        }
    }

    @Test
    void theBudgetIsCountedInStates() {
        assertEquals(512, MemoryStates.entriesFor(TopologyConfig.DEFAULT_MEMORY_CACHE_MAX_BYTES, 8192));
        assertEquals(0, MemoryStates.entriesFor(100, 8192));
        assertEquals(Integer.MAX_VALUE, MemoryStates.entriesFor(Long.MAX_VALUE, 1));
    }

    private static MemoryState state(long lastSeq) {
        return MemoryState.newBuilder().setModelFingerprint("sha256:test").setLastSeq(lastSeq).setChunksAbsorbed(lastSeq)
                .setTokensAbsorbed(lastSeq).setUpdatedAt(Instant.EPOCH).setTensors(List.of()).build();
    }
}
