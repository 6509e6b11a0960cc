package io.memstream.topology;

import io.memstream.model.ByteTokenizer;
import io.memstream.schema.PendingChunk;
import io.memstream.schema.TokenChunk;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns one valid input record into the model chunks to queue: checks the record, tokenizes it
 * (BOS first at seq 0) and splits it into pieces of at most the model's chunk length. Public for
 * the end-to-end benchmark, whose engine-alone comparison steps exactly the rows the processor makes.
 */
public final class ChunkAdmission {

    /**
     * Longest stream id accepted, in UTF-8 bytes. The id is the key of every store entry and
     * changelog record of the stream and is repeated in every Continuation, so an unbounded one
     * (Kafka allows megabyte keys) would multiply into the stores and the output.
     */
    static final int MAX_STREAM_ID_BYTES = 256;

    private final ByteTokenizer tokenizer;
    private final int chunkLength;

    public ChunkAdmission(ByteTokenizer tokenizer, int chunkLength) {
        this.tokenizer = tokenizer;
        this.chunkLength = chunkLength;
    }

    /** Throws {@link RejectedChunkException} if the record breaks the input contract. */
    void validate(String key, TokenChunk chunk) {
        if (chunk == null) {
            throw new RejectedChunkException("malformed", "null value (a tombstone is not a chunk)");
        }
        if (key == null) {
            throw new RejectedChunkException("bad-key", "the record has no key (it must be the stream id)");
        }
        // Length first, so a huge id is never copied into the reason (a dead-letter header).
        int idBytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (idBytes > MAX_STREAM_ID_BYTES) {
            throw new RejectedChunkException("bad-key", "the stream id is " + idBytes + " bytes, more than the limit of "
                    + MAX_STREAM_ID_BYTES);
        }
        if (key.isEmpty()) {
            throw new RejectedChunkException("bad-key", "the stream id is empty");
        }
        if (!key.equals(chunk.getStreamId())) {
            throw new RejectedChunkException("bad-key", "record key '" + key + "' must equal streamId '"
                    + shown(chunk.getStreamId()) + "'");
        }
        if (chunk.getSeq() < 0) {
            throw new RejectedChunkException("malformed", "seq must be >= 0, got " + chunk.getSeq());
        }
        if ((chunk.getText() == null) == (chunk.getTokens() == null)) {
            throw new RejectedChunkException("malformed", "exactly one of text and tokens must be set");
        }
        // Nothing to absorb (at seq 0 only the BOS token would be): a producer error, a dead letter
        // rather than a continuation of nothing. Whitespace-only text is content for a byte-level
        // model (TextChunker cuts long runs of blanks into such pieces) and is absorbed like any text.
        if (chunk.getText() != null && chunk.getText().isEmpty()) {
            throw new RejectedChunkException("empty", "text is empty");
        }
        if (chunk.getTokens() != null && chunk.getTokens().isEmpty()) {
            throw new RejectedChunkException("empty", "tokens is an empty list");
        }
        if (chunk.getTokens() != null) {
            for (int id : chunk.getTokens()) {
                if (!tokenizer.inVocab(id)) {
                    throw new RejectedChunkException("bad-token", "token id " + id + " is outside the vocabulary 0.."
                            + (tokenizer.vocabSize() - 1));
                }
            }
        }
        if (chunk.getGenerate() != null) {
            GenerationRequests.validate(chunk.getGenerate());
        }
    }

    private static String shown(String s) {
        return s.length() <= MAX_STREAM_ID_BYTES ? s : s.substring(0, MAX_STREAM_ID_BYTES) + "... (" + s.length() + " chars)";
    }

    /** The record's model chunks in order; generation and end of stream ride on the last one. */
    public List<PendingChunk> split(TokenChunk chunk) {
        boolean streamStart = chunk.getSeq() == 0;
        int[] ids = chunk.getText() != null
                ? tokenizer.encode(chunk.getText(), streamStart)
                : tokenizer.withStreamStart(chunk.getTokens().stream().mapToInt(Integer::intValue).toArray(), streamStart);
        if (ids.length == 0) {
            throw new RejectedChunkException("empty", "the chunk has no tokens");
        }
        int parts = (ids.length + chunkLength - 1) / chunkLength;
        List<PendingChunk> out = new ArrayList<>(parts);
        for (int p = 0; p < parts; p++) {
            int[] piece = Arrays.copyOfRange(ids, p * chunkLength, Math.min(ids.length, (p + 1) * chunkLength));
            boolean last = p == parts - 1;
            out.add(PendingChunk.newBuilder()
                    .setSeq(chunk.getSeq())
                    .setPart(p)
                    .setParts(parts)
                    .setTokens(Arrays.stream(piece).boxed().toList())
                    .setRecordTokens(ids.length)
                    .setGenerate(last ? chunk.getGenerate() : null)
                    .setEndOfStream(last && chunk.getEndOfStream())
                    .setProducedAt(chunk.getProducedAt())
                    .build());
        }
        return out;
    }
}
