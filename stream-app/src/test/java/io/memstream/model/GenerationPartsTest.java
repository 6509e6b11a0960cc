package io.memstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A generation shared out over parts (one decoding sequence per model thread) gives every row the
 * generation it gets in one batch: the same tokens, text and finish, greedy and sampled rows alike.
 */
class GenerationPartsTest {

    private static final OrtTuning NEVER_SPLIT = new OrtTuning(OrtTuning.DEFAULT.optimization(), false, 1,
            OrtTuning.AUTO_DECODE_THREADS, OrtTuning.WHOLE_PARTS);

    @Test
    void partsGiveEveryRowItsOneBatchGeneration() {
        var dir = TestModels.repoRoot().resolve("models/default");
        int rows = 11; // parts of 5 and 6 rows
        try (ModelRuntime whole = ModelRuntime.load(dir, DeviceChoice.CPU, 2, NEVER_SPLIT);
             ModelRuntime split = ModelRuntime.load(dir, DeviceChoice.CPU, 2, OrtTuning.DEFAULT);
             ModelSession one = new ModelSession(whole);
             ModelSession parts = new ModelSession(split)) {
            SplittableRandom r = new SplittableRandom(3);
            float[][][] states = new float[rows][][];
            int[][] tokens = new int[rows][];
            List<GenerationSpec> specs = new ArrayList<>();
            for (int row = 0; row < rows; row++) {
                states[row] = whole.initialState();
                tokens[row] = new int[1 + r.nextInt(whole.manifest().chunkLength())];
                for (int k = 0; k < tokens[row].length; k++) {
                    tokens[row][k] = 32 + r.nextInt(90);
                }
                specs.add(row % 2 == 0 ? new GenerationSpec(12 + row, 0f, 0, 1f, row, List.of())
                        : new GenerationSpec(12, 0.9f, 20, 0.95f, 1000 + row, List.of()));
            }
            List<Generation> a = one.generate(states, tokens, specs);
            Set<Thread> before = Thread.getAllStackTraces().keySet();
            List<Generation> b = parts.generate(states, tokens, specs);
            assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> !before.contains(t)
                    && t.getName().startsWith("memstream-generate-part-")), "the generation was split");
            assertEquals(rows, b.size());
            for (int row = 0; row < rows; row++) {
                assertArrayEquals(a.get(row).tokens(), b.get(row).tokens(), "tokens of row " + row);
                assertEquals(a.get(row).text(), b.get(row).text(), "text of row " + row);
                assertEquals(a.get(row).finish(), b.get(row).finish(), "finish of row " + row);
            }
        }
    }

    @Test
    void smallBatchesAndOneThreadAreNotSplit() {
        assertTrue(GenerationParts.splits(2, 8));
        assertFalse(GenerationParts.splits(2, 7), "fewer than 4 rows a part");
        assertFalse(GenerationParts.splits(1, 64), "one model thread");
    }
}
