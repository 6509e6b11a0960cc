package io.memstream.topology;

import io.memstream.model.ByteTokenizer;
import io.memstream.schema.PendingChunk;
import io.memstream.schema.TokenChunk;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns one valid input record into the model chunks to queue: checks the record, tokenizes it
 * (BOS first at seq 0) and splits it into pieces of at most the model's chunk length.
 */
final class ChunkAdmission {

    private final ByteTokenizer tokenizer;
    private final int chunkLength;

    ChunkAdmission(ByteTokenizer tokenizer, int chunkLength) {
        this.tokenizer = tokenizer;
        this.chunkLength = chunkLength;
    }

    /** Throws {@link RejectedChunkException} if the record breaks the input contract. */
    void validate(String key, TokenChunk chunk) {
        if (chunk == null) {
            throw new RejectedChunkException("malformed", "null value (a tombstone is not a chunk)");
        }
        if (key == null || !key.equals(chunk.getStreamId())) {
            throw new RejectedChunkException("bad-key", "record key '" + key + "' must equal streamId '"
                    + chunk.getStreamId() + "'");
        }
        if (chunk.getSeq() < 0) {
            throw new RejectedChunkException("malformed", "seq must be >= 0, got " + chunk.getSeq());
        }
        if ((chunk.getText() == null) == (chunk.getTokens() == null)) {
            throw new RejectedChunkException("malformed", "exactly one of text and tokens must be set");
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

    /** The record's model chunks in order; generation and end of stream ride on the last one. */
    List<PendingChunk> split(TokenChunk chunk) {
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
