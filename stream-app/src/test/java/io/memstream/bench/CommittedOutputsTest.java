package io.memstream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommittedOutputsTest {

    /** 100 outputs 10 ms apart, the first {@code firstAfterSeconds} after the clock's start. */
    private static CommittedOutputs evenlyAfter(double firstAfterSeconds) {
        long[] arrivals = new long[100];
        for (int i = 0; i < arrivals.length; i++) {
            arrivals[i] = (long) ((firstAfterSeconds + i * 0.01) * 1e9);
        }
        return new CommittedOutputs(arrivals, new double[arrivals.length], List.of());
    }

    @Test
    void aSlowStartIsCountedInSecondsBehindTheSteadyRate() {
        Map<String, Object> late = evenlyAfter(2.0).steady(0, 60);
        assertEquals(100.0, (double) late.get("steady_chunks_per_s"), 1e-6);
        assertEquals(2.0, (double) late.get("start_lag_s"), 1e-3);
        assertEquals(6000.0, (double) late.get("steady_absorbed_tokens_per_s"), 1e-6);
    }

    @Test
    void aStartAtTheSteadyRateCostsNothing() {
        assertEquals(0.0, (double) evenlyAfter(0.0).steady(0, 60).get("start_lag_s"), 1e-3);
    }
}
