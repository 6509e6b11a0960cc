package io.memstream.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The JSON of GET /streams/{id}, as instances of two versions exchange it during a rolling upgrade. */
class StreamSummaryTest {

    private static final StreamSummary SUMMARY = new StreamSummary("doc-1", 7, 8, 480, "2026-12-07T15:00:00Z",
            "sha256:ab", "rmt", true, 4198, "float16", 1, "10.0.0.2:8080");

    @Test
    void roundTrips() {
        assertEquals(SUMMARY, StreamSummary.fromJson(SUMMARY.toJson()));
    }

    @Test
    void aFieldFromANewerVersionIsSkipped() {
        String newer = SUMMARY.toJson().replaceFirst("\\}$", ",\"stateCodec\":\"zstd\"}");
        assertEquals(SUMMARY, StreamSummary.fromJson(newer));
    }

    @Test
    void aFieldAnOlderVersionDoesNotSendIsNull() {
        String older = SUMMARY.toJson().replace(",\"stateDtype\":\"float16\"", "");
        assertEquals(SUMMARY.stateBytes(), StreamSummary.fromJson(older).stateBytes());
        assertNull(StreamSummary.fromJson(older).stateDtype());
    }

    @Test
    void notASummaryIsAClearError() {
        assertThrows(IllegalArgumentException.class, () -> StreamSummary.fromJson("[1, 2]"));
    }
}
