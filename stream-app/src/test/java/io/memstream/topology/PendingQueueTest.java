package io.memstream.topology;

import static io.memstream.topology.TopologyHarness.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.model.TestModels;
import io.memstream.schema.PendingStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The pending queue: its chunk keys (in changelogs already written, so their format must not move),
 * and its headers kept on the heap, which a queue opened on the same stores (a restarted task's)
 * reads back as they were written.
 */
class PendingQueueTest {

    @Test
    void aQueueOpenedOnTheStoresSeesWhatTheOneThatWroteThemSaw() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            PendingQueue writer = open(h);
            ChunkAdmission admission = new ChunkAdmission(TestModels.tinyRuntime().tokenizer(), 16);
            for (String id : List.of("c", "a", "b", "d")) {
                writer.append(id, writer.get(id), 0, admission.split(text(id, 0, MemoryProcessorTest.TEXTS[0])));
                writer.append(id, writer.get(id), 1, admission.split(text(id, 1, MemoryProcessorTest.TEXTS[1])));
            }
            // absorb a's first chunk and all of d's
            PendingStream a = writer.get("a");
            a.setHeadBits(1.5);
            assertFalse(writer.pop("a", a));
            PendingStream d = writer.get("d");
            while (!writer.pop("d", d)) {
                d = writer.get("d");
            }
            writer.get("b").setHeadBits(99.0); // a caller's copy: changes nothing queued
            assertEquals(0.0, writer.get("b").getHeadBits());

            PendingQueue reader = open(h);
            assertEquals(3, reader.countStreams());
            assertFalse(reader.isQueued("d"));
            for (String id : List.of("a", "b", "c")) {
                assertEquals(writer.get(id), reader.get(id), id);
            }
            assertEquals(1.5, reader.get("a").getHeadBits());
            assertEquals(0.0, reader.get("b").getHeadBits());
            List<PendingQueue.Head> written = writer.heads(3);
            List<PendingQueue.Head> read = reader.heads(3);
            assertEquals(List.of("a", "b", "c"), read.stream().map(PendingQueue.Head::streamId).toList());
            assertEquals(written, read);
        }
    }

    /**
     * A tick's marks cover the chunks queued when it ran: those queued later wait for the next tick
     * (or a full batch), streams marked but busy are passed over, and exhausted ones leave the marks.
     */
    @Test
    void headsBeforeTheMarksAreTheChunksQueuedAtTheTick() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            PendingQueue queue = open(h);
            ChunkAdmission admission = new ChunkAdmission(TestModels.tinyRuntime().tokenizer(), 16);
            for (String id : List.of("a", "b", "c")) {
                queue.append(id, queue.get(id), 0, admission.split(text(id, 0, MemoryProcessorTest.TEXTS[0])));
            }
            int parts = admission.split(text("a", 0, MemoryProcessorTest.TEXTS[0])).size();
            Map<String, Long> marks = queue.marks();
            queue.append("a", queue.get("a"), 1, admission.split(text("a", 1, MemoryProcessorTest.TEXTS[1])));
            queue.append("e", queue.get("e"), 0, admission.split(text("e", 0, MemoryProcessorTest.TEXTS[1])));

            Map<String, Integer> popped = new TreeMap<>();
            List<PendingQueue.Head> heads;
            while (!(heads = queue.headsBefore(marks, 8, Set.of("b"))).isEmpty()) {
                assertEquals(List.of("a", "c"), ids(heads));
                for (PendingQueue.Head head : heads) {
                    queue.pop(head.streamId(), queue.get(head.streamId()));
                    popped.merge(head.streamId(), 1, Integer::sum);
                }
            }
            assertEquals(Map.of("a", parts, "c", parts), popped, "each marked stream's chunks, no later one");
            assertEquals(Set.of("b"), marks.keySet(), "a and c are done with; b was busy");
            assertEquals(List.of("b"), ids(queue.headsBefore(marks, 8, Set.of())));
            assertEquals(List.of("a", "b", "e"), ids(queue.heads(8)), "a's later record and e wait for the next tick");
        }
    }

    private static List<String> ids(List<PendingQueue.Head> heads) {
        return heads.stream().map(PendingQueue.Head::streamId).toList();
    }

    private static PendingQueue open(TopologyHarness h) {
        return new PendingQueue(h.driver.getKeyValueStore(MemstreamTopology.PENDING_STORE),
                h.driver.getKeyValueStore(MemstreamTopology.PENDING_CHUNKS_STORE));
    }

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
