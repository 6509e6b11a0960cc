package io.memstream.topology;

import io.memstream.model.GenerationSpec;
import io.memstream.schema.GenerateRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a record's {@link GenerateRequest} and turns it into the model's {@link GenerationSpec}
 * (public for the end-to-end benchmark's engine-alone comparison, which generates as the processor does).
 */
public final class GenerationRequests {

    private GenerationRequests() { }

    /** Throws {@link RejectedChunkException} for settings no sampler can honour. */
    static void validate(GenerateRequest r) {
        if (r.getMaxNewTokens() < 1) {
            throw new RejectedChunkException("bad-generate", "maxNewTokens must be at least 1, got " + r.getMaxNewTokens());
        }
        if (!Float.isFinite(r.getTemperature()) || r.getTemperature() < 0f) {
            throw new RejectedChunkException("bad-generate", "temperature must be >= 0, got " + r.getTemperature());
        }
        if (r.getTopK() < 0) {
            throw new RejectedChunkException("bad-generate", "topK must be >= 0, got " + r.getTopK());
        }
        if (!(r.getTopP() > 0f && r.getTopP() <= 1f)) {
            throw new RejectedChunkException("bad-generate", "topP must be in (0, 1], got " + r.getTopP());
        }
    }

    public static GenerationSpec toSpec(GenerateRequest r, String streamId, long seq) {
        List<byte[]> stops = new ArrayList<>();
        for (String s : r.getStopSequences()) {
            if (!s.isEmpty()) {
                stops.add(s.getBytes(StandardCharsets.UTF_8));
            }
        }
        long seed = r.getSeed() != null ? r.getSeed() : derivedSeed(streamId, seq);
        return new GenerationSpec(r.getMaxNewTokens(), r.getTemperature(), r.getTopK(), r.getTopP(), seed, stops);
    }

    /**
     * A seed that depends only on the stream id and seq (first 8 bytes of SHA-256 over both), so a
     * replay after a crash, on any JVM, samples the same tokens.
     */
    static long derivedSeed(String streamId, long seq) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(streamId.getBytes(StandardCharsets.UTF_8));
            sha.update(ByteBuffer.allocate(8).putLong(seq).array());
            return ByteBuffer.wrap(sha.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
