package io.memstream.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What memstream holds for one stream, as {@code GET /streams/{id}} and {@code memstream inspect}
 * show it.
 *
 * @param lastSeq          seq of the last absorbed chunk
 * @param chunksAbsorbed   records absorbed since the stream started
 * @param tokensAbsorbed   tokens absorbed since the stream started
 * @param updatedAt        wall-clock time of the last memory update, ISO-8601 UTC (idle eviction counts from here)
 * @param modelFingerprint fingerprint of the model that wrote the memory
 * @param modelId          the model the owning instance runs
 * @param modelMatches     whether the memory was written by that model (else it is reset on the next chunk)
 * @param stateBytes       size of the stored memory value (what RocksDB and the changelog hold per stream)
 * @param stateDtype       element type its tensors are stored in ({@code state.dtype}): float16 or float32,
 *                         or each tensor's, comma-separated, where they differ (a float16 memory's
 *                         tensor beyond float16's range is stored as float32)
 * @param partition        the input partition the stream lives in
 * @param servedBy         {@code application.server} of the instance that owns the stream and answered
 */
public record StreamSummary(String streamId, long lastSeq, long chunksAbsorbed, long tokensAbsorbed,
                            String updatedAt, String modelFingerprint, String modelId, boolean modelMatches,
                            long stateBytes, String stateDtype, int partition, String servedBy) {

    /**
     * Fields this version does not know are skipped, and those it knows but is not sent are null (or
     * 0): during a rolling upgrade an instance forwards lookups to owners of the other version.
     */
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a stream summary as JSON", e);
        }
    }

    public static StreamSummary fromJson(String json) {
        try {
            return JSON.readValue(json, StreamSummary.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a stream summary: " + e.getOriginalMessage(), e);
        }
    }
}
