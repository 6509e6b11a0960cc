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

    private static final OrtTuning NEVER_SPLIT = new OrtTuning(OrtTuning.DEFAULT.optimization(), false, 1,
            OrtTuning.AUTO_DECODE_THREADS, OrtTuning.WHOLE_PARTS);

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
        assertSameAsOneCall(threads, rows, OrtTuning.WHOLE_PARTS);
    }

    private static void assertSameAsOneCall(int threads, int rows, int pieceRows) {
        var dir = TestModels.repoRoot().resolve("models/default"); // real shapes: the kernels split work at this size
        try (ModelRuntime whole = ModelRuntime.load(dir, DeviceChoice.CPU, threads, NEVER_SPLIT);
             ModelRuntime split = ModelRuntime.load(dir, DeviceChoice.CPU, threads,
                     OrtTuning.DEFAULT.withStepPieceRows(pieceRows));
             ModelSession one = new ModelSession(whole);
             ModelSession parts = new ModelSession(split)) {
            assertEquals(1, whole.stepShards());
            assertEquals(threads, split.stepShards());
            assertFalse(whole.splitsSteps());
            int[][] t = tokens(rows, whole.manifest().chunkLength(), rows);
            float[][][] s = states(whole, rows, 7L * rows);
            StepOutput a = one.step(s, t);
            Set<Thread> before = Thread.getAllStackTraces().keySet();
            StepOutput b = parts.step(s, t);
            if (threads > 1) { // A part's thread starts with its first part, so a new one proves this step was split.
                assertTrue(Thread.getAllStackTraces().keySet().stream()
                        .anyMatch(th -> !before.contains(th) && th.getName().startsWith("memstream-step-part-")),
                        "the step was split");
            }
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
    void piecesGiveTheWholeBatchsOutputs() {
        assertSameAsOneCall(2, 21, 4); // 4 pieces of 5-6 rows over 2 parts
        assertSameAsOneCall(1, 9, 4);  // one thread: 2 pieces of 4 and 5 rows, one after the other
    }

    /**
     * The parts take pieces as they come free: a part that is held up (here: sleeps in every piece,
     * as a preempted thread would) takes fewer, and the rows still come back in order.
     */
    @Test
    void aHeldUpPartTakesFewerPiecesAndRowsComeBackInOrder() {
        java.util.concurrent.atomic.AtomicInteger heldUpPieces = new java.util.concurrent.atomic.AtomicInteger();
        try (ModelRuntime split = ModelRuntime.load(TestModels.tiny(), DeviceChoice.CPU, 2,
                     OrtTuning.DEFAULT.withStepPieceRows(2));
             StepShards shards = new StepShards(split, (p, m, s, t) -> {
                 if (Thread.currentThread().getName().startsWith("memstream-step-part-")) {
                     heldUpPieces.incrementAndGet();
                     sleep(300);
                 }
                 double[] bits = new double[s.length];
                 for (int i = 0; i < s.length; i++) {
                     bits[i] = s[i][0][0]; // the row's own number, to check the order
                 }
                 return new StepOutput(bits, s);
             })) {
            int rows = 16;
            assertEquals(8, shards.pieces(rows), "16 rows in pieces of 2");
            float[][][] states = new float[rows][1][];
            int[][] tokens = new int[rows][];
            for (int row = 0; row < rows; row++) {
                states[row][0] = new float[] {row};
                tokens[row] = new int[] {1};
            }
            long t0 = System.nanoTime();
            StepOutput out = shards.step(states, tokens);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            for (int row = 0; row < rows; row++) {
                assertEquals(row, out.bits()[row], "row " + row);
                assertEquals(row, out.nextState()[row][0][0], "state of row " + row);
            }
            // Were the pieces dealt out in turn, the held-up part would sleep through 4 of them (1.2 s).
            assertTrue(ms < 900, "the held-up part took more than one piece: " + ms + " ms");
            assertTrue(heldUpPieces.get() <= 1, "pieces the held-up part ran: " + heldUpPieces.get());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void piecesAreAMultipleOfTheParts() {
        try (ModelRuntime split = ModelRuntime.load(TestModels.tiny(), DeviceChoice.CPU, 2,
                     OrtTuning.DEFAULT.withStepPieceRows(8));
             StepShards shards = new StepShards(split, (p, m, s, t) -> {
                 throw new AssertionError("not called");
             });
             ModelRuntime one = ModelRuntime.load(TestModels.tiny(), DeviceChoice.CPU, 1,
                     OrtTuning.DEFAULT.withStepPieceRows(8));
             StepShards pieces = new StepShards(one, (p, m, s, t) -> {
                 throw new AssertionError("not called");
             })) {
            assertEquals("step in 2 part(s) of one session each, pieces of 8 rows", split.describeSplit());
            assertEquals("step in 1 part(s) of one session each, pieces of 8 rows", one.describeSplit());
            assertEquals(2, shards.pieces(8));
            assertEquals(2, shards.pieces(31), "31 rows: not 3 pieces, which 2 parts would share unevenly");
            assertEquals(4, shards.pieces(32));
            assertEquals(16, shards.pieces(128));
            assertEquals(1, one.stepShards());
            assertTrue(one.splitsSteps(), "one thread still cuts big steps into pieces");
            assertFalse(pieces.splits(15), "one piece of 15 rows: one call");
            assertTrue(pieces.splits(16));
            assertEquals(4, pieces.pieces(32));
        }
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
