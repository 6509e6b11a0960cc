package io.memstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Decode on one thread (the default with 2 model threads) or on the model's two: the same
 * generations, token for token, and the same next-token distributions to float rounding.
 */
class DecodeThreadsTest {

    @Test
    void oneDecodeThreadGeneratesWhatTwoDo() {
        var dir = TestModels.repoRoot().resolve("models/default");
        OrtTuning two = new OrtTuning(OrtTuning.DEFAULT.optimization(), false, OrtTuning.AUTO_SHARDS, 2);
        assertEquals(1, OrtTuning.DEFAULT.decodeThreadsFor(2));
        try (ModelRuntime a = ModelRuntime.load(dir, DeviceChoice.CPU, 2, OrtTuning.DEFAULT);
             ModelRuntime b = ModelRuntime.load(dir, DeviceChoice.CPU, 2, two);
             ModelSession one = new ModelSession(a);
             ModelSession both = new ModelSession(b)) {
            int rows = 8;
            SplittableRandom r = new SplittableRandom(3);
            float[][][] states = new float[rows][1][];
            int[][] tokens = new int[rows][];
            List<GenerationSpec> specs = new ArrayList<>();
            for (int row = 0; row < rows; row++) {
                states[row][0] = a.initialState()[0].clone();
                tokens[row] = r.ints(1 + r.nextInt(a.manifest().chunkLength()), 32, 127).toArray();
                specs.add(new GenerationSpec(24, 0f, 0, 1f, row, List.of()));
            }
            List<Generation> x = one.generate(states, tokens, specs);
            List<Generation> y = both.generate(states, tokens, specs);
            for (int row = 0; row < rows; row++) {
                assertArrayEquals(x.get(row).tokens(), y.get(row).tokens(), "row " + row);
            }
            try (ModelSession.Decoding d1 = one.prefill(states, tokens); ModelSession.Decoding d2 = both.prefill(states, tokens)) {
                long[] next = new long[rows];
                for (int step = 0; step < 8; step++) {
                    for (int row = 0; row < rows; row++) {
                        assertArrayEquals(d1.logits()[row], d2.logits()[row], 1e-4f, "step " + step + " row " + row);
                        next[row] = Sampler.argmax(d1.logits()[row]);
                    }
                    d1.decode(next);
                    d2.decode(next);
                }
            }
        }
    }
}
