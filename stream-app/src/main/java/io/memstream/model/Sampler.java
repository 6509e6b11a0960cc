package io.memstream.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Token choice from one row's logits: greedy, or temperature with optional top-k and top-p.
 * Pure functions of (logits, settings, random stream), so a replay picks the same tokens.
 */
final class Sampler {

    private static final double LN2 = Math.log(2.0);

    private Sampler() { }

    /** Bits of {@code token} under softmax(logits[offset .. offset+v)). */
    static double bits(float[] logits, long offset, int v, int token) {
        int o = Math.toIntExact(offset);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) {
            max = Math.max(max, logits[o + i]);
        }
        double sum = 0;
        for (int i = 0; i < v; i++) {
            sum += Math.exp(logits[o + i] - max);
        }
        return (max + Math.log(sum) - logits[o + token]) / LN2;
    }

    static int choose(float[] logits, GenerationSpec spec, SplittableRandom rng) {
        if (spec.temperature() <= 0f) {
            return argmax(logits);
        }
        int v = logits.length;
        // Candidates sorted by logit, highest first; ties by id, so the order never depends on the sort.
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        int keep = spec.topK() > 0 ? Math.min(spec.topK(), v) : v;
        double max = logits[order[0]] / (double) spec.temperature();
        double[] p = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(logits[order[i]] / (double) spec.temperature() - max);
            total += p[i];
        }
        if (spec.topP() < 1f) {
            double cum = 0;
            int n = 0;
            while (n < keep) {
                cum += p[n] / total;
                n++;
                if (cum >= spec.topP()) {
                    break;
                }
            }
            keep = n;
            total = 0;
            for (int i = 0; i < keep; i++) {
                total += p[i];
            }
        }
        double u = rng.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            u -= p[i];
            if (u < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
