package io.memstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several threads stepping through one {@link MergingStepper}: their batches are merged into shared
 * model calls, and every row's outputs are byte-identical to the same batch stepped alone.
 */
class MergingStepperTest {

    private static ModelRuntime runtime;

    @BeforeAll
    static void load() {
        // The default model's real shapes (the tiny model is too small to show kernel differences).
        runtime = ModelRuntime.load(TestModels.repoRoot().resolve("models/default"), DeviceChoice.CPU, 2);
    }

    @AfterAll
    static void close() {
        runtime.close();
    }

    /** One thread's workload: batches of 1..6 rows; most full length, some shorter (not merged with full ones). */
    private static List<int[][]> batches(long seed, int count, int chunk) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[][]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int b = 1 + r.nextInt(6);
            int len = r.nextInt(4) == 0 ? 1 + r.nextInt(chunk) : chunk;
            int[][] t = new int[b][];
            for (int row = 0; row < b; row++) {
                // Rows of a batch may be shorter than its longest (padding inside the request itself).
                t[row] = new int[row == 0 ? len : 1 + r.nextInt(len)];
                for (int k = 0; k < t[row].length; k++) {
                    t[row][k] = r.nextInt(256);
                }
            }
            out.add(t);
        }
        return out;
    }

    private static float[][][] states(int b, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][][] s = new float[b][][];
        for (int i = 0; i < b; i++) {
            float[] init = runtime.initialState()[0];
            float[] m = new float[init.length];
            for (int k = 0; k < m.length; k++) {
                m[k] = init[k] + (float) (r.nextGaussian() * 0.1);
            }
            s[i] = new float[][] {m};
        }
        return s;
    }

    @Test
    void concurrentBatchesAreMergedAndByteIdentical() throws Exception {
        int threads = 3;
        int perThread = 40;
        int chunk = runtime.manifest().chunkLength();
        MergingStepper merging = runtime.mergingStepper(64);
        long callsBefore = merging.calls();
        long requestsBefore = merging.requests();
        List<List<int[][]>> work = new ArrayList<>();
        List<List<float[][][]>> states = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            work.add(batches(100 + t, perThread, chunk));
            List<float[][][]> s = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                s.add(states(work.get(t).get(i).length, 1000L * t + i));
            }
            states.add(s);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<StepOutput>>> merged = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                merged.add(pool.submit(() -> {
                    List<StepOutput> outs = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        outs.add(merging.step(states.get(thread).get(i), work.get(thread).get(i)));
                    }
                    return outs;
                }));
            }
            ModelSession alone = runtime.sessionForCurrentThread();
            for (int t = 0; t < threads; t++) {
                List<StepOutput> outs = merged.get(t).get();
                for (int i = 0; i < perThread; i++) {
                    StepOutput expected = alone.step(states.get(t).get(i), work.get(t).get(i));
                    StepOutput actual = outs.get(i);
                    assertArrayEquals(expected.bits(), actual.bits(), 0.0, "bits, thread " + t + " batch " + i);
                    assertEquals(expected.nextState().length, actual.nextState().length);
                    for (int row = 0; row < expected.nextState().length; row++) {
                        assertArrayEquals(expected.nextState()[row][0], actual.nextState()[row][0], 0f,
                                "next state, thread " + t + " batch " + i + " row " + row);
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        long calls = merging.calls() - callsBefore;
        long requests = merging.requests() - requestsBefore;
        assertEquals(threads * perThread, requests);
        assertTrue(calls < requests, "no batch was merged: " + calls + " calls for " + requests + " requests");
    }
}
