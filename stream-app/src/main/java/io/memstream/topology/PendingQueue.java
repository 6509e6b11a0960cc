package io.memstream.topology;

import io.memstream.schema.PendingChunk;
import io.memstream.schema.PendingStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The per-stream queues of accepted model chunks, over two changelogged stores: one small
 * {@link PendingStream} per stream (counters, seq bookkeeping) and one {@link PendingChunk} per
 * queued model chunk. Absorbing a chunk deletes one entry and rewrites the small header, so the
 * changelog traffic stays linear in the input even for a record split into many model chunks.
 */
final class PendingQueue {

    /** A stream's oldest queued model chunk, with its queue header. */
    record Head(String streamId, PendingStream queue, PendingChunk chunk) { }

    private final KeyValueStore<String, PendingStream> streams;
    private final KeyValueStore<String, PendingChunk> chunks;
    /** Last stream served: a scheduling hint only, so it lives in memory and may be lost. */
    private String cursor;

    PendingQueue(KeyValueStore<String, PendingStream> streams, KeyValueStore<String, PendingChunk> chunks) {
        this.streams = streams;
        this.chunks = chunks;
    }

    PendingStream get(String streamId) {
        return streams.get(streamId);
    }

    boolean isQueued(String streamId) {
        return streams.get(streamId) != null;
    }

    long countStreams() {
        long n = 0;
        try (KeyValueIterator<String, PendingStream> it = streams.all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    /** Queues a record's model chunks; {@code queue} is the stream's current header or null. */
    void append(String streamId, PendingStream queue, long seq, List<PendingChunk> parts) {
        PendingStream q = queue != null ? queue : new PendingStream(seq, false, 0L, 0L, 0.0, 0L, 0.0);
        long index = q.getNextIndex();
        for (PendingChunk part : parts) {
            chunks.put(chunkKey(streamId, index++), part);
        }
        q.setNextIndex(index);
        q.setLastSeq(seq);
        q.setLastEndOfStream(parts.get(parts.size() - 1).getEndOfStream());
        streams.put(streamId, q);
    }

    /**
     * The oldest queued chunk of up to {@code max} streams, round robin in key order from where the
     * previous batch stopped, so that under overload no stream waits behind lower keys for ever.
     * Streams in {@code busy} (a batch of theirs is still with the model) are passed over.
     */
    List<Head> heads(int max, Set<String> busy) {
        List<KeyValue<String, PendingStream>> picked = new ArrayList<>(max);
        String start = cursor;
        if (start != null) {
            try (KeyValueIterator<String, PendingStream> it = streams.range(start, null)) {
                while (it.hasNext() && picked.size() < max) {
                    KeyValue<String, PendingStream> kv = it.next();
                    if (!kv.key.equals(start) && !busy.contains(kv.key)) {
                        picked.add(kv);
                    }
                }
            }
        }
        // Wrap around: from the lowest key up to the previous cursor (served last, being served last time).
        Set<String> taken = new HashSet<>();
        picked.forEach(kv -> taken.add(kv.key));
        try (KeyValueIterator<String, PendingStream> it = streams.all()) {
            while (it.hasNext() && picked.size() < max) {
                KeyValue<String, PendingStream> kv = it.next();
                if (taken.contains(kv.key)) {
                    break;
                }
                if (!busy.contains(kv.key)) {
                    picked.add(kv);
                }
                if (kv.key.equals(start)) {
                    break;
                }
            }
        }
        if (!picked.isEmpty()) {
            cursor = picked.get(picked.size() - 1).key;
        }
        List<Head> heads = new ArrayList<>(picked.size());
        for (KeyValue<String, PendingStream> kv : picked) {
            PendingChunk chunk = chunks.get(chunkKey(kv.key, kv.value.getHeadIndex()));
            if (chunk == null) {
                throw new IllegalStateException("pending queue of stream '" + kv.key + "' lost chunk "
                        + kv.value.getHeadIndex());
            }
            heads.add(new Head(kv.key, kv.value, chunk));
        }
        return heads;
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
            return true;
        }
        streams.put(streamId, queue);
        return false;
    }

    /**
     * Fixed-width suffix, so two streams' keys can never collide: {@code streamId/%016x}, built by
     * hand because {@code String.format} was an eighth of the stream thread's samples (it runs
     * three times per chunk).
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
