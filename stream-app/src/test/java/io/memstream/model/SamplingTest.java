package io.memstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Token choice and the per-row stop rules, on hand-made logits. */
class SamplingTest {

    private static final ModelManifest.TokenizerSpec SPEC = new ModelManifest.TokenizerSpec(260, 256, 257, 258, true);
    private static final ByteTokenizer TOKENIZER = new ByteTokenizer(SPEC);

    private static float[] peaked(int id) {
        float[] logits = new float[260];
        logits[id] = 10f;
        return logits;
    }

    private static GenerationSpec spec(int max, float temperature, int topK, float topP, long seed, String... stops) {
        return new GenerationSpec(max, temperature, topK, topP, seed,
                java.util.Arrays.stream(stops).map(s -> s.getBytes(StandardCharsets.UTF_8)).toList());
    }

    @Test
    void greedyTakesTheArgmaxAndTopKOneOrTinyTopPToo() {
        float[] logits = new float[260];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i * 0.37);
        }
        int best = Sampler.argmax(logits);
        SplittableRandom rng = new SplittableRandom(1);
        assertEquals(best, Sampler.choose(logits, spec(1, 0f, 0, 1f, 1), rng));
        for (int i = 0; i < 50; i++) {
            assertEquals(best, Sampler.choose(logits, spec(1, 1.5f, 1, 1f, 1), rng));
            assertEquals(best, Sampler.choose(logits, spec(1, 1.5f, 0, 1e-6f, 1), rng));
        }
    }

    /** Temperature 1, no filters: frequencies follow softmax(logits). */
    @Test
    void temperatureSamplingFollowsTheSoftmax() {
        float[] logits = new float[260];
        java.util.Arrays.fill(logits, -30f);
        logits[65] = 0f;
        logits[66] = (float) Math.log(3.0); // 3x as likely as 65
        SplittableRandom rng = new SplittableRandom(42);
        int a = 0;
        int b = 0;
        for (int i = 0; i < 20_000; i++) {
            int id = Sampler.choose(logits, spec(1, 1f, 0, 1f, 0), rng);
            if (id == 65) {
                a++;
            } else if (id == 66) {
                b++;
            }
        }
        assertEquals(20_000, a + b);
        assertEquals(0.75, b / 20_000.0, 0.015);
    }

    @Test
    void topKAndTopPCutTheTail() {
        float[] logits = new float[260];
        java.util.Arrays.fill(logits, -30f);
        logits[10] = 2f;
        logits[11] = 1.9f;
        logits[12] = 1.8f;
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < 2_000; i++) {
            int k2 = Sampler.choose(logits, spec(1, 1f, 2, 1f, 0), rng);
            assertTrue(k2 == 10 || k2 == 11, "top-k 2 picked " + k2);
            int p = Sampler.choose(logits, spec(1, 1f, 0, 0.5f, 0), rng);
            assertTrue(p == 10 || p == 11, "top-p 0.5 picked " + p);
        }
    }

    @Test
    void sameSeedSameTokens() {
        float[] logits = new float[260];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.cos(i);
        }
        int[] first = new int[100];
        int[] second = new int[100];
        SplittableRandom r1 = new SplittableRandom(99);
        SplittableRandom r2 = new SplittableRandom(99);
        for (int i = 0; i < 100; i++) {
            first[i] = Sampler.choose(logits, spec(1, 1f, 50, 0.9f, 0), r1);
            second[i] = Sampler.choose(logits, spec(1, 1f, 50, 0.9f, 0), r2);
        }
        assertArrayEquals(first, second);
    }

    @Test
    void endTokenFinishesWithoutBeingReturned() {
        RowGenerator g = new RowGenerator(spec(10, 0f, 0, 1f, 0), 10, TOKENIZER);
        g.accept(peaked('h'));
        g.accept(peaked('i'));
        g.accept(peaked(258));
        Generation out = g.result();
        assertEquals(Generation.Finish.EOS, out.finish());
        assertArrayEquals(new int[] {'h', 'i'}, out.tokens());
        assertEquals("hi", out.text());
    }

    @Test
    void stopSequenceIsCutFromTokensAndText() {
        RowGenerator g = new RowGenerator(spec(50, 0f, 0, 1f, 0, "é!"), 50, TOKENIZER);
        byte[] bytes = "ok é!".getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            assertTrue(!g.done());
            g.accept(peaked(b & 0xff));
            if (b == 'k') {
                g.accept(peaked(259)); // a special among the output is kept as a token, dropped from text
            }
        }
        Generation out = g.result();
        assertEquals(Generation.Finish.STOP, out.finish());
        assertEquals("ok ", out.text());
        assertArrayEquals(new int[] {'o', 'k', 259, ' '}, out.tokens());
    }

    @Test
    void lengthLimitEndsWithLength() {
        RowGenerator g = new RowGenerator(spec(3, 0f, 0, 1f, 0), 3, TOKENIZER);
        for (int i = 0; i < 3; i++) {
            g.accept(peaked('a' + i));
        }
        assertTrue(g.done());
        assertEquals(Generation.Finish.LENGTH, g.result().finish());
        assertEquals("abc", g.result().text());
    }

    @Test
    void tokenizerAddsBosAtStreamStartAndDecodesLeniently() {
        assertArrayEquals(new int[] {257, 'h', 0xc3, 0xa9}, TOKENIZER.encode("hé", true));
        assertArrayEquals(new int[] {'h'}, TOKENIZER.encode("h", false));
        assertArrayEquals(new int[] {257, 5}, TOKENIZER.withStreamStart(new int[] {5}, true));
        assertEquals("a\uFFFDb", TOKENIZER.decode(new int[] {'a', 0xc3, 256, 'b', 258}));
        assertEquals(List.of(), List.of());
    }
}
