package io.memstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A step split by rows into parts on one-thread sessions gives, row for row, the bits and next
 * states of the same batch in one call: to the bit, also when the parts pad to different lengths.
 */
class StepShardsTest {

    private static final OrtTuning NEVER_SPLIT = new OrtTuning(OrtTuning.DEFAULT.optimization(), false, 1);

    /** b rows of random bytes; lengths vary so the parts pad differently from the whole batch. */
    private static int[][] tokens(int b, int chunk, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] t = new int[b][];
        for (int row = 0; row < b; row++) {
            t[row] = new int[row % 3 == 0 ? chunk : 1 + r.nextInt(chunk)];
            for (int k = 0; k < t[row].length; k++) {
                t[row][k] = r.nextInt(256);
            }
        }
        return t;
    }

    private static float[][][] states(ModelRuntime runtime, int b, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][][] s = new float[b][1][];
        for (int row = 0; row < b; row++) {
            s[row][0] = runtime.initialState()[0].clone();
            for (int i = 0; i < s[row][0].length; i++) {
                s[row][0][i] += (float) (r.nextGaussian() * 0.05);
            }
        }
        return s;
    }

    private static void assertSameAsOneCall(int threads, int rows) {
        var dir = TestModels.repoRoot().resolve("models/default"); // real shapes: the kernels split work at this size
        try (ModelRuntime whole = ModelRuntime.load(dir, DeviceChoice.CPU, threads, NEVER_SPLIT);
             ModelRuntime split = ModelRuntime.load(dir, DeviceChoice.CPU, threads, OrtTuning.DEFAULT);
             ModelSession one = new ModelSession(whole);
             ModelSession parts = new ModelSession(split)) {
            assertEquals(1, whole.stepShards());
            assertEquals(threads, split.stepShards());
            int[][] t = tokens(rows, whole.manifest().chunkLength(), rows);
            float[][][] s = states(whole, rows, 7L * rows);
            StepOutput a = one.step(s, t);
            Set<Thread> before = Thread.getAllStackTraces().keySet();
            StepOutput b = parts.step(s, t);
            // A part's thread starts with its first part, so a new one proves this step was split.
            assertTrue(Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(th -> !before.contains(th) && th.getName().startsWith("memstream-step-part-")),
                    "the step was split");
            assertArrayEquals(a.bits(), b.bits(), 0.0, "bits per row");
            for (int row = 0; row < rows; row++) {
                assertArrayEquals(a.nextState()[row][0], b.nextState()[row][0], 0f, "next memory of row " + row);
            }
        }
    }

    @Test
    void twoPartsGiveTheWholeBatchsOutputs() {
        assertSameAsOneCall(2, 9); // parts of 4 and 5 rows
    }

    @Test
    void threePartsOfUnequalSizeGiveTheWholeBatchsOutputs() {
        assertSameAsOneCall(3, 14); // parts of 4, 5 and 5 rows
    }

    @Test
    void smallStepsAreNotSplitAndShardsNeedAThreadEach() {
        var tuning = new OrtTuning(OrtTuning.DEFAULT.optimization(), false, 4);
        assertEquals(2, tuning.shardsFor(2), "never more parts than model threads");
        assertEquals(1, OrtTuning.DEFAULT.shardsFor(1));
        assertThrows(IllegalArgumentException.class, () -> new OrtTuning(OrtTuning.DEFAULT.optimization(), false, -1));
        try (ModelRuntime split = ModelRuntime.load(TestModels.tiny(), DeviceChoice.CPU, 2, OrtTuning.DEFAULT);
             StepShards shards = new StepShards(split, (p, m, s, t) -> {
                 throw new AssertionError("not called");
             })) {
            assertTrue(shards.splits(8));
            assertFalse(shards.splits(7), "fewer than 4 rows a part: one call");
        }
    }
}
