package io.memstream.topology;

import io.memstream.schema.PendingChunk;
import io.memstream.schema.PendingStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
 * The per-stream queues of accepted model chunks, over two changelogged stores: one
 * {@link PendingChunk} per queued model chunk (key: stream id and queue index) and, while a stream's
 * oldest queued record is absorbed over several batches (it is longer than the model's chunk), one
 * {@link PendingStream} with what its parts absorbed so far. Queueing a chunk writes one entry and
 * absorbing it deletes one, so the changelog traffic stays linear in the input even for a record
 * split into many model chunks.
 *
 * <p>Each stream's queue header (head and next index, last seq, the head record's progress) lives
 * in a sorted map on the heap, rebuilt from the stores when the task's processor starts (after they
 * are restored): the indexes, the last seq and whether it closed the stream are those of the chunks
 * queued, so only the progress needs entries of its own. The queue is read for every record and
 * every batch, and reading the store's iterators copies its whole key set and decodes every entry
 * they pass (taking a batch's heads alone was 9% of the stream thread's samples in a profiled warm
 * run, bench/results/run-l/profile/17562ad_warm.*). Until the headers were derived, every chunk also
 * wrote its stream's header into the store when queued and deleted or rewrote it when absorbed: two
 * more changelog records per chunk. Only this class writes either store.
 */
final class PendingQueue {

    /** A stream's oldest queued model chunk. */
    record Head(String streamId, PendingChunk chunk) { }

    /** Hex digits of the queue index in a chunk key ({@link #chunkKey}). */
    private static final int INDEX_DIGITS = 16;
    /** What follows the stream id in a chunk key: '/' and the index. */
    private static final int INDEX_SUFFIX = INDEX_DIGITS + 1;

    /**
     * The chunks this queue appended and has not popped, bounded: a batch reads each stream's head
     * chunk, and reading it from the store decodes its token array again (6% of the stream thread's
     * samples in a profiled warm run, bench/results/perf-p/profile). These are the very objects put
     * (nothing changes a {@link PendingChunk} after it is built); those of a restored queue, and those
     * appended while it was full, are read from the store: a queue is read oldest first, so the
     * chunks kept are the ones needed next. A chunk of 64 byte tokens holds about 1 KB on the heap,
     * so the bound costs at most about 1 MB a task.
     */
    static final int MAX_CACHED_CHUNKS = 1024;

    private final KeyValueStore<String, PendingStream> progress;
    private final KeyValueStore<String, PendingChunk> chunks;
    private final Map<String, PendingChunk> appended = new HashMap<>();
    /** Every stream with chunks queued, by stream id; never handed out, only copies. */
    private final NavigableMap<String, PendingStream> headers = new TreeMap<>();
    /** The streams that have an entry in {@link #progress}. */
    private final Set<String> withProgress = new HashSet<>();
    /** Last stream served: a scheduling hint only, so it lives in memory and may be lost. */
    private String cursor;

    /**
     * Opens the queues on the stores as restored: each stream's header from its queued chunks, the
     * head record's progress from {@code progress}. An older memstream wrote an entry there for every
     * queued stream, its progress included: those are read the same way, and each goes when its
     * stream next finishes absorbing a record.
     */
    PendingQueue(KeyValueStore<String, PendingStream> progress, KeyValueStore<String, PendingChunk> chunks) {
        this.progress = progress;
        this.chunks = chunks;
        try (KeyValueIterator<String, PendingChunk> it = chunks.all()) {
            while (it.hasNext()) {
                KeyValue<String, PendingChunk> kv = it.next();
                restored(kv.key, kv.value);
            }
        }
        try (KeyValueIterator<String, PendingStream> it = progress.all()) {
            while (it.hasNext()) {
                KeyValue<String, PendingStream> kv = it.next();
                withProgress.add(kv.key);
                PendingStream q = headers.get(kv.key);
                if (q != null) {
                    q.setHeadBits(kv.value.getHeadBits());
                    q.setHeadByteTokens(kv.value.getHeadByteTokens());
                    q.setHeadMillis(kv.value.getHeadMillis());
                }
            }
        }
    }

    /** Widens the header of a restored chunk's stream to take the chunk in (keys come in any order). */
    private void restored(String key, PendingChunk chunk) {
        if (key.length() < INDEX_SUFFIX || key.charAt(key.length() - INDEX_SUFFIX) != '/') {
            throw new IllegalStateException("pending chunk key '" + key + "' is not a stream id, '/' and an index");
        }
        String streamId = key.substring(0, key.length() - INDEX_SUFFIX);
        long index = Long.parseUnsignedLong(key.substring(key.length() - INDEX_SUFFIX + 1), 16);
        PendingStream q = headers.get(streamId);
        if (q == null) {
            headers.put(streamId, new PendingStream(chunk.getSeq(), chunk.getEndOfStream(), index, index + 1,
                    0.0, 0L, 0.0));
            return;
        }
        q.setHeadIndex(Math.min(q.getHeadIndex(), index));
        if (index >= q.getNextIndex()) {
            q.setNextIndex(index + 1);
            q.setLastSeq(chunk.getSeq());
            q.setLastEndOfStream(chunk.getEndOfStream());
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
            String key = chunkKey(streamId, index++);
            chunks.put(key, part);
            if (appended.size() < MAX_CACHED_CHUNKS) {
                appended.put(key, part);
            }
        }
        q.setNextIndex(index);
        q.setLastSeq(seq);
        q.setLastEndOfStream(parts.get(parts.size() - 1).getEndOfStream());
        headers.put(streamId, copy(q));
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
        String key = chunkKey(streamId, index);
        PendingChunk chunk = appended.get(key);
        if (chunk == null) {
            chunk = chunks.get(key);
        }
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
     * Removes a stream's head chunk, {@code absorbed}, after it was absorbed; {@code queue} (from
     * {@link #get}) carries the head record's updated progress. While the record has parts left its
     * progress is stored, and when it is done the entry goes.
     */
    void pop(String streamId, PendingStream queue, PendingChunk absorbed) {
        // put(key, null) deletes as delete(key) does, without looking up and decoding the old value
        // that delete returns: that decoding was 7% of the stream thread's samples in a warm run.
        String key = chunkKey(streamId, queue.getHeadIndex());
        chunks.put(key, null);
        appended.remove(key);
        queue.setHeadIndex(queue.getHeadIndex() + 1);
        if (absorbed.getPart() < absorbed.getParts() - 1) {
            progress.put(streamId, queue);
            withProgress.add(streamId);
        } else if (withProgress.remove(streamId)) {
            progress.put(streamId, null); // a delete that does not decode the old value
        }
        if (queue.getHeadIndex() == queue.getNextIndex()) {
            headers.remove(streamId);
        } else {
            headers.put(streamId, copy(queue));
        }
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
        StringBuilder key = new StringBuilder(streamId.length() + INDEX_SUFFIX).append(streamId).append('/');
        for (int i = hex.length(); i < INDEX_DIGITS; i++) {
            key.append('0');
        }
        return key.append(hex).toString();
    }
}
