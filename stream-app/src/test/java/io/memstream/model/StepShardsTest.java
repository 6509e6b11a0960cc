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
                 if (Thread.currentThread().getName().startsWith("memstream-step-part-1-")) {
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

    /** A stub part step that returns each row's number as its bits, after {@code delay} for part 1. */
    private static StepShards.PartStep numbered(long part1DelayMs, java.util.List<String> log) {
        return (p, m, s, t) -> {
            String name = Thread.currentThread().getName();
            if (name.startsWith("memstream-step-part-1-")) {
                sleep(part1DelayMs);
            }
            double[] bits = new double[s.length];
            for (int i = 0; i < s.length; i++) {
                bits[i] = s[i][0][0];
            }
            synchronized (log) {
                log.add(name.substring(0, "memstream-step-part-0".length()) + ":" + (int) s[0][0][0]);
            }
            return new StepOutput(bits, s);
        };
    }

    private static float[][][] numberedStates(int rows, int first) {
        float[][][] states = new float[rows][1][];
        for (int row = 0; row < rows; row++) {
            states[row][0] = new float[] {first + row};
        }
        return states;
    }

    private static int[][] oneTokenRows(int rows) {
        int[][] tokens = new int[rows][];
        for (int row = 0; row < rows; row++) {
            tokens[row] = new int[] {1};
        }
        return tokens;
    }

    /**
     * A part that has finished its share of one step takes the next step's pieces while its partner
     * is still in the first: the second step, submitted behind the first, ends first.
     */
    @Test
    void aFreePartStartsOnTheNextStepBeforeTheFirstEnds() throws Exception {
        java.util.List<String> log = new java.util.ArrayList<>();
        java.util.concurrent.CountDownLatch heldUp = new java.util.concurrent.CountDownLatch(1);
        try (ModelRuntime split = ModelRuntime.load(TestModels.tiny(), DeviceChoice.CPU, 2,
                     OrtTuning.DEFAULT.withStepPieceRows(4));
             StepShards shards = new StepShards(split, (p, m, s, t) -> {
                 if (s[0][0][0] == 0) { // the first step's first piece: its part is held up there
                     heldUp.countDown();
                     sleep(600);
                 }
                 return numbered(0, log).run(p, m, s, t);
             })) {
            var first = shards.submit(numberedStates(8, 0), oneTokenRows(8));   // pieces at rows 0 and 4
            assertTrue(heldUp.await(5, java.util.concurrent.TimeUnit.SECONDS));
            var second = shards.submit(numberedStates(8, 100), oneTokenRows(8)); // pieces at rows 100 and 104
            StepOutput out = second.get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertFalse(first.isDone(), "the first step waits for its held-up piece; pieces run: " + log);
            for (int row = 0; row < 8; row++) {
                assertEquals(100 + row, out.bits()[row], "row " + row);
            }
            StepOutput firstOut = first.get(5, java.util.concurrent.TimeUnit.SECONDS);
            for (int row = 0; row < 8; row++) {
                assertEquals(row, firstOut.bits()[row], "row " + row + " of the first step");
            }
            assertTrue(firstOut.millis() >= 500, "a step's time runs to its last piece: " + firstOut.millis());
        }
    }

    /** A cancelled step's pieces that no part has started are skipped; closing fails the steps still queued. */
    @Test
    void cancelledAndClosedStepsSkipTheirQueuedPieces() throws Exception {
        java.util.List<String> log = new java.util.ArrayList<>();
        java.util.concurrent.CompletableFuture<StepOutput> queued;
        try (ModelRuntime one = ModelRuntime.load(TestModels.tiny(), DeviceChoice.CPU, 1,
                     OrtTuning.DEFAULT.withStepPieceRows(4))) {
            StepShards shards = new StepShards(one, (p, m, s, t) -> {
                sleep(200);
                return numbered(0, log).run(p, m, s, t);
            });
            var running = shards.submit(numberedStates(8, 0), oneTokenRows(8));   // 2 pieces, 400 ms
            var cancelled = shards.submit(numberedStates(8, 100), oneTokenRows(8));
            queued = shards.submit(numberedStates(8, 200), oneTokenRows(8));
            assertTrue(cancelled.cancel(false));
            running.get(5, java.util.concurrent.TimeUnit.SECONDS);
            shards.close(); // while the third step's first piece runs or waits
            assertThrows(java.util.concurrent.ExecutionException.class, () -> queued.get(5, java.util.concurrent.TimeUnit.SECONDS));
            assertThrows(IllegalStateException.class, () -> shards.submit(numberedStates(8, 0), oneTokenRows(8)));
        }
        synchronized (log) {
            assertFalse(log.stream().anyMatch(e -> e.endsWith(":100") || e.endsWith(":104")),
                    "a cancelled step's pieces ran: " + log);
            assertTrue(log.stream().filter(e -> e.endsWith(":200") || e.endsWith(":204")).count() <= 1,
                    "a closed runtime's queued pieces ran: " + log);
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

    /** The parts' wait for work is counted: it is how long the model idled for want of a piece. */
    @Test
    void thePartsTimeWaitingForAPieceIsCounted() throws Exception {
        var dir = TestModels.repoRoot().resolve("models/default");
        try (ModelRuntime runtime = ModelRuntime.load(dir, DeviceChoice.CPU, 2);
             StepShards shards = new StepShards(runtime, (predictor, manager, states, tokens) ->
                     new StepOutput(new double[tokens.length], new float[tokens.length][][], 0))) {
            Thread.sleep(200); // the parts wait in the queue from their start
            shards.step(new float[32][][], new int[32][]);
            assertTrue(shards.waitingNanos() >= 150_000_000L, "waited " + shards.waitingNanos() + " ns");
        }
    }
}
