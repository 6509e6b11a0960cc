package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Pending chunk keys are in changelogs already written, so their format must not move. */
class PendingQueueKeyTest {

    @Test
    void keysMatchTheFormatOfEarlierVersions() {
        long[] indexes = {0, 1, 15, 16, 255, 0xabcdefL, 1L << 40, Long.MAX_VALUE, -1, Long.MIN_VALUE};
        for (long index : indexes) {
            assertEquals("s-1/" + String.format("%016x", index), PendingQueue.chunkKey("s-1", index));
        }
    }

    @Test
    void keysOfOneStreamSortInQueueOrder() {
        String previous = PendingQueue.chunkKey("doc", 0);
        for (long index = 1; index < 5000; index += 7) {
            String key = PendingQueue.chunkKey("doc", index);
            assertTrue(key.compareTo(previous) > 0, key + " after " + previous);
            previous = key;
        }
    }
}
