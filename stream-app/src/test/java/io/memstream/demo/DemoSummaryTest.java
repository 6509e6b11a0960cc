package io.memstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoSummaryTest {

    @Test
    void countsTokensBothWaysAndRanksLatencies() {
        DemoSummary summary = new DemoSummary();
        for (int i = 1; i <= 10; i++) {
            summary.add(Continuation.newBuilder().setStreamId("s").setSeq(i).setModelId("m")
                    .setTokens(List.of(1, 2, 3)).setText("abc").setFinishReason(FinishReason.LENGTH)
                    .setStats(ChunkStats.newBuilder().setChunkTokens(20).setBatchSize(1).setInferenceMillis(i)
                            .setChunksAbsorbed(i).setTokensAbsorbed(20L * i).build()).build(), 100.0 * i);
        }
        List<String> lines = summary.lines(2.0);
        assertEquals("chunks: 10 in 2.0 s; tokens: 200 absorbed + 30 generated = 115 tokens/s", lines.get(0));
        assertEquals("latency, sent to continuation read: p50 500.0 ms, p90 900.0 ms, p99 1000.0 ms, max 1000.0 ms",
                lines.get(1));
        assertEquals("model time per chunk (absorb + generate): p50 5.0 ms, p90 9.0 ms, p99 10.0 ms, max 10.0 ms",
                lines.get(2));
    }

    @Test
    void percentilesOfNothingAreNotNumbers() {
        assertEquals("n/a", DemoSummary.percentiles(new ArrayList<>()));
        assertEquals("p50 7.0 ms, p90 7.0 ms, p99 7.0 ms, max 7.0 ms", DemoSummary.percentiles(List.of(7.0)));
    }
}
