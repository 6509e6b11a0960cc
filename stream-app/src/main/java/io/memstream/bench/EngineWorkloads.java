package io.memstream.bench;

import io.memstream.model.HostTensor;
import io.memstream.model.ModelManifest;
import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The engine's benchmark workloads, shared by {@code memstream bench engine}, the end-to-end
 * benchmark's engine-alone comparison and the JMH harness (bench/jmh): the inputs (initial states,
 * random byte chunks) and the two ways to generate N tokens, with the cache and by recomputing the
 * window for every token. Greedy and fixed length, so every run does the same work.
 */
public final class EngineWorkloads {

    private final ModelRuntime runtime;
    private final SplittableRandom random;

    public EngineWorkloads(ModelRuntime runtime, long seed) {
        this.runtime = runtime;
        this.random = new SplittableRandom(seed);
    }

    /** {@code b} streams at their start (the model's initial state). */
    public float[][][] states(int b) {
        float[][][] s = new float[b][][];
        for (int i = 0; i < b; i++) {
            s[i] = runtime.initialState();
        }
        return s;
    }

    /** Random printable bytes: the model's cost does not depend on which bytes it reads. */
    public int[][] tokens(int b, int len) {
        int[][] t = new int[b][len];
        for (int[] row : t) {
            for (int i = 0; i < len; i++) {
                row[i] = 32 + random.nextInt(95);
            }
        }
        return t;
    }

    /** N tokens per row: prefill once, then N-1 decode calls with the cache. */
    public static void cachedGeneration(ModelSession session, float[][][] states, int[][] tokens, int n) {
        int b = tokens.length;
        long[] next = new long[b];
        try (ModelSession.Decoding d = session.prefill(states, tokens)) {
            for (int i = 0; i < n; i++) {
                for (int row = 0; row < b; row++) {
                    next[row] = argmax(d.logits()[row]);
                }
                if (i < n - 1) {
                    d.decode(next);
                }
            }
        }
    }

    /** The same tokens without a cache: prefill over chunk + generated-so-far for every new token. */
    public static void recomputedGeneration(ModelSession session, float[][][] states, int[][] tokens, int n) {
        ModelManifest manifest = session.manifest();
        int b = tokens.length;
        int len = tokens[0].length;
        long[] window = new long[b * (len + n)];
        Map<String, HostTensor> in = new LinkedHashMap<>();
        for (int s = 0; s < manifest.state().size(); s++) {
            ModelManifest.StateSpec spec = manifest.state().get(s);
            in.put(spec.name(), HostTensor.of(spec.stackRows(states, s), spec.batchShape(b)));
        }
        for (int i = 0; i < n; i++) {
            int l = len + i;
            long[] ids = new long[b * l];
            long[] lengths = new long[b];
            for (int row = 0; row < b; row++) {
                for (int t = 0; t < len; t++) {
                    ids[row * l + t] = tokens[row][t];
                }
                for (int t = 0; t < i; t++) {
                    ids[row * l + len + t] = window[row * (len + n) + len + t];
                }
                lengths[row] = l;
            }
            in.put(ModelManifest.TOKENS, HostTensor.of(ids, b, l));
            in.put(ModelManifest.LENGTHS, HostTensor.of(lengths, b));
            float[] logits = session.call(ModelManifest.PREFILL, in).get(ModelManifest.LOGITS).floats();
            int v = manifest.tokenizer().vocabSize();
            for (int row = 0; row < b; row++) {
                float[] r = new float[v];
                System.arraycopy(logits, row * v, r, 0, v);
                window[row * (len + n) + len + i] = argmax(r);
            }
        }
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
