package io.memstream.demo;

import io.memstream.schema.Continuation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The demo's closing figures: how many chunks came back, tokens per second through the model
 * (absorbed and generated), and latency percentiles, end to end (sent to continuation read) and of
 * the model calls alone. Measured in the run it closes, on whatever machine runs it.
 */
public final class DemoSummary {
    private final List<Double> endToEndMillis = new ArrayList<>();
    private final List<Double> modelMillis = new ArrayList<>();
    private long absorbedTokens;
    private long generatedTokens;

    /** Counts one continuation that arrived {@code endToEndMillis} after its chunk was sent. */
    public void add(Continuation c, double endToEndMillis) {
        this.endToEndMillis.add(endToEndMillis);
        modelMillis.add(c.getStats().getInferenceMillis());
        absorbedTokens += c.getStats().getChunkTokens();
        generatedTokens += c.getTokens().size();
    }

    public int chunks() {
        return endToEndMillis.size();
    }

    /** The summary lines, given the wall time from the first send to the last continuation. */
    public List<String> lines(double seconds) {
        double perSecond = seconds > 0 ? (absorbedTokens + generatedTokens) / seconds : 0;
        return List.of(
                String.format(Locale.ROOT, "chunks: %d in %.1f s; tokens: %d absorbed + %d generated = %.0f tokens/s",
                        chunks(), seconds, absorbedTokens, generatedTokens, perSecond),
                "latency, sent to continuation read: " + percentiles(endToEndMillis),
                "model time per chunk (absorb + generate): " + percentiles(modelMillis));
    }

    /** "p50 12.3 ms, p90 ..., p99 ..., max ..." (nearest-rank percentiles). */
    static String percentiles(List<Double> values) {
        if (values.isEmpty()) {
            return "n/a";
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", rank(sorted, 50),
                rank(sorted, 90), rank(sorted, 99), sorted[sorted.length - 1]);
    }

    private static double rank(double[] sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
