package io.memstream.topology;

import static io.memstream.topology.TopologyHarness.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.model.TestModels;
import io.memstream.schema.PendingChunk;
import io.memstream.schema.PendingStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.state.KeyValueStore;
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
            assertTrue(head(writer, "a").getParts() > 1, "a's first record is absorbed over several batches");
            PendingStream a = writer.get("a");
            a.setHeadBits(1.5);
            writer.pop("a", a, head(writer, "a"));
            assertTrue(writer.isQueued("a"));
            while (writer.isQueued("d")) {
                writer.pop("d", writer.get("d"), head(writer, "d"));
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
                    queue.pop(head.streamId(), queue.get(head.streamId()), head.chunk());
                    popped.merge(head.streamId(), 1, Integer::sum);
                }
            }
            assertEquals(Map.of("a", parts, "c", parts), popped, "each marked stream's chunks, no later one");
            assertEquals(Set.of("b"), marks.keySet(), "a and c are done with; b was busy");
            assertEquals(List.of("b"), ids(queue.headsBefore(marks, 8, Set.of())));
            assertEquals(List.of("a", "b", "e"), ids(queue.heads(8)), "a's later record and e wait for the next tick");
        }
    }

    /**
     * Heads come from the chunks the queue appended while it holds them, and from the store past its
     * bound: a stream queued deeper than the bound gives back every chunk in order, each popped one
     * gone from the store as well.
     */
    @Test
    void aQueueDeeperThanItsCacheGivesBackEveryChunkFromTheStore() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            PendingQueue queue = open(h);
            KeyValueStore<String, PendingChunk> stored = h.driver.getKeyValueStore(MemstreamTopology.PENDING_CHUNKS_STORE);
            int depth = PendingQueue.MAX_CACHED_CHUNKS + 3;
            List<PendingChunk> appended = new java.util.ArrayList<>();
            for (int seq = 0; seq < depth; seq++) {
                PendingChunk chunk = new PendingChunk((long) seq, 0, 1, List.of(seq % 200, 7), 2, null, false,
                        java.time.Instant.ofEpochMilli(seq));
                appended.add(chunk);
                queue.append("deep", queue.get("deep"), seq, List.of(chunk));
            }
            assertEquals(depth, count(stored));
            for (int i = 0; i < depth; i++) {
                PendingChunk head = head(queue, "deep");
                assertEquals(appended.get(i), head, "chunk " + i);
                queue.pop("deep", queue.get("deep"), head);
                assertEquals(depth - i - 1, count(stored), "popping chunk " + i + " deletes it from the store");
            }
            assertFalse(queue.isQueued("deep"));
        }
    }

    private static List<String> ids(List<PendingQueue.Head> heads) {
        return heads.stream().map(PendingQueue.Head::streamId).toList();
    }

    /**
     * What is stored: a chunk per queued model chunk, and an entry of progress only for a stream
     * whose head record is part absorbed, gone once the record is; a queue opened on the stores
     * takes an older memstream's entry (one per queued stream) as that stream's progress.
     */
    @Test
    void onlyAPartAbsorbedRecordLeavesAnEntryBesideItsChunks() {
        try (TopologyHarness h = TopologyHarness.perRecord()) {
            PendingQueue queue = open(h);
            KeyValueStore<String, PendingStream> progress = h.driver.getKeyValueStore(MemstreamTopology.PENDING_STORE);
            ChunkAdmission admission = new ChunkAdmission(TestModels.tinyRuntime().tokenizer(), 16);
            List<PendingChunk> longRecord = admission.split(text("long", 0, MemoryProcessorTest.TEXTS[0]));
            List<PendingChunk> shortRecord = admission.split(text("short", 0, "hi"));
            assertTrue(longRecord.size() >= 3);
            assertEquals(1, shortRecord.size());
            queue.append("long", null, 0, longRecord);
            queue.append("short", null, 0, shortRecord);
            queue.append("short", queue.get("short"), 1, admission.split(text("short", 1, "ho")));
            assertEquals(0, count(progress), "nothing absorbed, no progress");

            queue.pop("short", queue.get("short"), head(queue, "short"));
            assertEquals(0, count(progress), "a whole record absorbed leaves no progress");
            PendingStream q = queue.get("long");
            q.setHeadBits(2.5);
            q.setHeadByteTokens(7L);
            queue.pop("long", q, head(queue, "long"));
            assertEquals(2.5, progress.get("long").getHeadBits());

            PendingQueue reopened = open(h);
            assertEquals(queue.get("long"), reopened.get("long"));
            assertEquals(queue.get("short"), reopened.get("short"));
            assertEquals(1, reopened.get("short").getLastSeq());
            while (reopened.isQueued("long")) {
                reopened.pop("long", reopened.get("long"), head(reopened, "long"));
            }
            assertEquals(0, count(progress), "the record is done: its progress entry is gone");

            // An older memstream's header for "short" (every queued stream had one): read as its progress.
            progress.put("short", new PendingStream(1L, false, 1L, 2L, 0.75, 3L, 4.0));
            PendingQueue upgraded = open(h);
            assertEquals(0.75, upgraded.get("short").getHeadBits());
            assertEquals(1L, upgraded.get("short").getHeadIndex());
            upgraded.pop("short", upgraded.get("short"), head(upgraded, "short"));
            assertEquals(0, count(progress), "and dropped once its record is absorbed");
            assertFalse(upgraded.isQueued("short"));
        }
    }

    private static PendingChunk head(PendingQueue queue, String streamId) {
        return queue.heads(64).stream().filter(h -> h.streamId().equals(streamId)).findFirst()
                .orElseThrow().chunk();
    }

    private static long count(KeyValueStore<String, ?> store) {
        long n = 0;
        try (var it = store.all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
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
