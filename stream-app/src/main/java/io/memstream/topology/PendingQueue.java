package io.memstream.topology;

import io.memstream.schema.PendingChunk;
import io.memstream.schema.PendingStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The per-stream queues of accepted model chunks, over two changelogged stores: one small
 * {@link PendingStream} per stream (counters, seq bookkeeping) and one {@link PendingChunk} per
 * queued model chunk. Absorbing a chunk deletes one entry and rewrites the small header, so the
 * changelog traffic stays linear in the input even for a record split into many model chunks.
 *
 * <p>The headers are also kept in a sorted map on the heap, read from the store when the task's
 * processor starts (after the store is restored) and written through with it: the queue is read
 * for every record and every batch, and reading the store's iterators copies its whole key set and
 * decodes every header they pass (taking a batch's heads alone was 9% of the stream thread's
 * samples in a profiled warm run, bench/results/run-l/profile/17562ad_warm.*). No gain was seen warm, a little at
 * batch 1 (docs/PERFORMANCE.md, "Run L"). The store stays what a restart restores; only this class
 * writes either.
 */
final class PendingQueue {

    /** A stream's oldest queued model chunk. */
    record Head(String streamId, PendingChunk chunk) { }

    private final KeyValueStore<String, PendingStream> streams;
    private final KeyValueStore<String, PendingChunk> chunks;
    /** Every header in {@link #streams}, by stream id; never handed out, only copies. */
    private final NavigableMap<String, PendingStream> headers = new TreeMap<>();
    /** Last stream served: a scheduling hint only, so it lives in memory and may be lost. */
    private String cursor;

    PendingQueue(KeyValueStore<String, PendingStream> streams, KeyValueStore<String, PendingChunk> chunks) {
        this.streams = streams;
        this.chunks = chunks;
        try (KeyValueIterator<String, PendingStream> it = streams.all()) {
            while (it.hasNext()) {
                KeyValue<String, PendingStream> kv = it.next();
                headers.put(kv.key, kv.value);
            }
        }
    }

    /** The stream's queue header (a copy the caller may change), or null when nothing is queued. */
    PendingStream get(String streamId) {
        PendingStream q = headers.get(streamId);
        return q == null ? null : copy(q);
    }

    boolean isQueued(String streamId) {
        return headers.containsKey(streamId);
    }

    long countStreams() {
        return headers.size();
    }

    /** Queues a record's model chunks; {@code queue} is the stream's current header (from {@link #get}) or null. */
    void append(String streamId, PendingStream queue, long seq, List<PendingChunk> parts) {
        PendingStream q = queue != null ? queue : new PendingStream(seq, false, 0L, 0L, 0.0, 0L, 0.0);
        long index = q.getNextIndex();
        for (PendingChunk part : parts) {
            chunks.put(chunkKey(streamId, index++), part);
        }
        q.setNextIndex(index);
        q.setLastSeq(seq);
        q.setLastEndOfStream(parts.get(parts.size() - 1).getEndOfStream());
        putHeader(streamId, q);
    }

    /**
     * The oldest queued chunk of up to {@code max} streams, round robin in key order from where the
     * previous batch stopped, so that under overload no stream waits behind lower keys for ever.
     * Streams in {@code busy} (a batch of theirs is still with the model) are passed over.
     */
    List<Head> heads(int max, Set<String> busy) {
        List<String> picked = new ArrayList<>(max);
        String start = cursor;
        if (start != null) {
            pick(headers.tailMap(start, false).keySet(), max, busy, picked);
        }
        // Wrap around: from the lowest key up to the previous cursor (served last, being served last time).
        pick(start == null ? headers.keySet() : headers.headMap(start, true).keySet(), max, busy, picked);
        if (!picked.isEmpty()) {
            cursor = picked.get(picked.size() - 1);
        }
        List<Head> heads = new ArrayList<>(picked.size());
        for (String id : picked) {
            heads.add(head(id, headers.get(id).getHeadIndex()));
        }
        return heads;
    }

    /**
     * The streams queued now, each with the index its next chunk will get: the chunks a drain asked
     * for at this moment are those below it ({@link #headsBefore}).
     */
    Map<String, Long> marks() {
        Map<String, Long> marks = new LinkedHashMap<>();
        headers.forEach((id, q) -> marks.put(id, q.getNextIndex()));
        return marks;
    }

    /**
     * The head chunks of up to {@code max} streams of {@code marks} not in {@code busy} that were
     * queued before their mark; streams with none left are removed from {@code marks}.
     */
    List<Head> headsBefore(Map<String, Long> marks, int max, Set<String> busy) {
        List<Head> heads = new ArrayList<>();
        for (var it = marks.entrySet().iterator(); it.hasNext() && heads.size() < max; ) {
            var mark = it.next();
            PendingStream queue = headers.get(mark.getKey());
            if (queue == null || queue.getHeadIndex() >= mark.getValue()) {
                it.remove();
            } else if (!busy.contains(mark.getKey())) {
                heads.add(head(mark.getKey(), queue.getHeadIndex()));
            }
        }
        return heads;
    }

    private Head head(String streamId, long index) {
        PendingChunk chunk = chunks.get(chunkKey(streamId, index));
        if (chunk == null) {
            throw new IllegalStateException("pending queue of stream '" + streamId + "' lost chunk " + index);
        }
        return new Head(streamId, chunk);
    }

    private static void pick(Set<String> ids, int max, Set<String> busy, List<String> picked) {
        for (Iterator<String> it = ids.iterator(); it.hasNext() && picked.size() < max; ) {
            String id = it.next();
            if (!busy.contains(id)) {
                picked.add(id);
            }
        }
    }

    /** {@link #heads(int, Set)} with no stream passed over. */
    List<Head> heads(int max) {
        return heads(max, Set.of());
    }

    /**
     * Removes a stream's head chunk after it was absorbed; {@code queue} carries the updated
     * accumulators. Returns true when the stream has nothing queued any more.
     */
    boolean pop(String streamId, PendingStream queue) {
        chunks.delete(chunkKey(streamId, queue.getHeadIndex()));
        queue.setHeadIndex(queue.getHeadIndex() + 1);
        if (queue.getHeadIndex() == queue.getNextIndex()) {
            streams.delete(streamId);
            headers.remove(streamId);
            return true;
        }
        putHeader(streamId, queue);
        return false;
    }

    /** Writes a header to the store, then to the heap's map, which keeps {@code queue} as it is now. */
    private void putHeader(String streamId, PendingStream queue) {
        streams.put(streamId, queue);
        headers.put(streamId, copy(queue));
    }

    /** Field by field: Avro's builder copy boxes and checks each field, on every record. */
    private static PendingStream copy(PendingStream q) {
        return new PendingStream(q.getLastSeq(), q.getLastEndOfStream(), q.getHeadIndex(), q.getNextIndex(),
                q.getHeadBits(), q.getHeadByteTokens(), q.getHeadMillis());
    }

    /**
     * Fixed-width suffix, so two streams' keys can never collide: {@code streamId/%016x}, built by
     * hand: {@code String.format} here was 7% of the stream thread's samples in a profiled warm run
     * (bench/results/run-l/profile/d9f33b9_warm_jfr_default.*; it runs three times per chunk).
     */
    static String chunkKey(String streamId, long index) {
        String hex = Long.toHexString(index);
        StringBuilder key = new StringBuilder(streamId.length() + 17).append(streamId).append('/');
        for (int i = hex.length(); i < 16; i++) {
            key.append('0');
        }
        return key.append(hex).toString();
    }
}
