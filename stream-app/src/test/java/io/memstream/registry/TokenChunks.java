package io.memstream.registry;

import io.memstream.schema.TokenChunk;
import java.time.Instant;

/** Sample input records for serde tests. */
final class TokenChunks {
    private TokenChunks() {
    }

    static TokenChunk text(String streamId, long seq, String text) {
        return TokenChunk.newBuilder().setStreamId(streamId).setSeq(seq).setText(text)
                .setProducedAt(Instant.ofEpochMilli(1_700_000_000_000L + seq)).build();
    }
}
