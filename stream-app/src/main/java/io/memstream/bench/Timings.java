package io.memstream.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Repeated timings of one operation and their order statistics. These machines are shared and
 * noisy, so benchmarks report medians (and a p10..p90 range), never a mean or a single run.
 */
final class Timings {

    private final double[] millis;

    private Timings(double[] millis) {
        this.millis = millis.clone();
        Arrays.sort(this.millis);
    }

    static Timings of(double[] millis) {
        return new Timings(millis);
    }

    /**
     * Runs {@code op} for {@code warmupSeconds} (JIT, ORT's arena and thread pool settle), then at
     * least {@code minReps} times and until {@code measureSeconds} have passed, timing each call.
     */
    static Timings measure(Runnable op, double warmupSeconds, double measureSeconds, int minReps) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do {
            op.run();
        } while (System.nanoTime() < warmEnd);
        double[] samples = new double[Math.max(minReps, 16)];
        int n = 0;
        long end = System.nanoTime() + (long) (measureSeconds * 1e9);
        while (n < minReps || System.nanoTime() < end) {
            long t0 = System.nanoTime();
            op.run();
            double ms = (System.nanoTime() - t0) / 1e6;
            if (n == samples.length) {
                samples = Arrays.copyOf(samples, n * 2);
            }
            samples[n++] = ms;
        }
        return new Timings(Arrays.copyOf(samples, n));
    }

    int count() {
        return millis.length;
    }

    /** Nearest-rank quantile, q in [0, 1]. */
    double quantile(double q) {
        if (millis.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * millis.length) - 1;
        return millis[Math.max(0, Math.min(millis.length - 1, i))];
    }

    double median() {
        return quantile(0.5);
    }

    /** The figures every result carries: median and p10/p90 of the per-call milliseconds, and n. */
    Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("median_ms", round(median()));
        m.put("p10_ms", round(quantile(0.1)));
        m.put("p90_ms", round(quantile(0.9)));
        m.put("calls", count());
        return m;
    }

    static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
