package io.memstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading errors, batched generation against the graphs themselves, and native memory over many calls. */
class ModelRuntimeTest {

    @TempDir
    Path tmp;

    @Test
    void missingModelIsAClearError() {
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> ModelRuntime.load(tmp.resolve("nowhere"), DeviceChoice.CPU, 1));
        assertTrue(e.getMessage().contains("no model at") && e.getMessage().contains("manifest.json"), e.getMessage());
    }

    @Test
    void changedFilesFailTheFingerprint() throws IOException {
        Path copy = copyTiny();
        Path init = copy.resolve("initial_state/memory.bin");
        byte[] bytes = Files.readAllBytes(init);
        bytes[5] ^= 1;
        Files.write(init, bytes);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelManifest.load(copy));
        assertTrue(e.getMessage().contains("do not match the manifest: fingerprint"), e.getMessage());
    }

    @Test
    void manifestNamesMustMatchTheContract() throws IOException {
        Path copy = copyTiny();
        Path manifest = copy.resolve("manifest.json");
        String json = Files.readString(manifest);
        Files.writeString(manifest, json.replaceFirst("\"next_memory\",(\\s*)\"token_bits\"", "\"new_memory\",$1\"token_bits\""));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelManifest.load(copy));
        assertTrue(e.getMessage().contains("graph step declares outputs"), e.getMessage());
    }

    @Test
    void graphsThatDoNotTakeTheDeclaredInputsAreRefused() throws IOException {
        Path copy = copyTiny();
        // step.onnx replaced by the decode graph, fingerprint made to match: only the graph check can tell.
        Files.copy(copy.resolve("decode.onnx"), copy.resolve("step.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path manifest = copy.resolve("manifest.json");
        ModelManifest m = parseWithoutChecks(copy);
        String json = Files.readString(manifest).replace(m.fingerprint(), ModelManifest.computeFingerprint(m));
        Files.writeString(manifest, json);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelRuntime.load(copy, DeviceChoice.CPU, 1));
        assertTrue(e.getMessage().contains("graph step takes inputs"), e.getMessage());
    }

    @Test
    void gpuWithoutCudaIsAClearStartupError() {
        Assumptions.assumeFalse(Files.exists(Path.of("/dev/nvidia0")), "a GPU is present");
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> ModelRuntime.load(TestModels.tiny(), DeviceChoice.GPU, 1));
        assertTrue(e.getMessage().startsWith("device=gpu but no GPU can be used"), e.getMessage());
    }

    /** Greedy generation equals argmax over the graphs' own logits, row by row, whatever the batch. */
    @Test
    void batchedGreedyGenerationMatchesSingleRows() {
        ModelRuntime runtime = TestModels.tinyRuntime();
        ModelSession session = runtime.sessionForCurrentThread();
        String[] texts = {"The quick brown fox", "jumps", "over the lazy dog, again!"};
        float[][][] states = new float[texts.length][][];
        int[][] tokens = new int[texts.length][];
        List<GenerationSpec> specs = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            states[i] = runtime.initialState();
            tokens[i] = runtime.tokenizer().encode(texts[i], true);
            specs.add(new GenerationSpec(5 + 3 * i, 0f, 0, 1f, 0, List.of()));
        }
        List<Generation> batched = session.generate(states, tokens, specs);
        for (int i = 0; i < texts.length; i++) {
            Generation single = session.generate(new float[][][] {states[i]}, new int[][] {tokens[i]},
                    List.of(specs.get(i))).get(0);
            assertArrayEquals(single.tokens(), batched.get(i).tokens(), "row " + i);
            // the same tokens by hand: prefill, then decode, argmax each time
            try (ModelSession.Decoding d = session.prefill(new float[][][] {states[i]}, new int[][] {tokens[i]})) {
                for (int t = 0; t < single.tokens().length; t++) {
                    int next = Sampler.argmax(d.logits()[0]);
                    assertEquals(next, single.tokens()[t]);
                    d.decode(new long[] {next});
                }
            }
        }
        assertNotEquals(batched.get(0).text(), batched.get(2).text());
    }

    /**
     * A chunk's bits come from step's token_bits output when the model has it: the same figure as
     * the softmax of the logits taken in Java (the path of models exported without it), rows of
     * different lengths included (padding adds nothing).
     */
    @Test
    void tokenBitsFromTheGraphMatchBitsFromTheLogits() {
        ModelRuntime runtime = TestModels.tinyRuntime();
        assertTrue(runtime.manifest().stepGivesTokenBits(), "the committed tiny model exports token_bits");
        int[][] tokens = {runtime.tokenizer().encode("The quick brown fox jumps", true),
            runtime.tokenizer().encode("over", false), runtime.tokenizer().encode("the lazy dog, again and again", false)};
        float[][][] states = {runtime.initialState(), runtime.initialState(), runtime.initialState()};
        double[] bits = runtime.sessionForCurrentThread().step(states, tokens).bits();
        double[] fromLogits;
        try (ModelSession logitsPath = new ModelSession(runtime, false)) {
            fromLogits = logitsPath.step(states, tokens).bits();
        }
        for (int row = 0; row < tokens.length; row++) {
            assertTrue(bits[row] > 0, "row " + row + " has bits");
            assertEquals(fromLogits[row], bits[row], 1e-3 * tokens[row].length, "row " + row);
        }
    }

    /** Many calls leave no native tensor behind: every one is freed when its call returns. */
    @Test
    void nativeMemoryDoesNotGrowOverManyCalls() throws IOException {
        ModelRuntime runtime = TestModels.tinyRuntime();
        ModelSession session = runtime.sessionForCurrentThread();
        int b = 8;
        float[][][] states = new float[b][][];
        int[][] tokens = new int[b][];
        List<GenerationSpec> specs = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            states[i] = runtime.initialState();
            tokens[i] = runtime.tokenizer().encode("soak test row " + i + " ".repeat(i), false);
            specs.add(new GenerationSpec(8, 0.7f, 0, 0.9f, i, List.of()));
        }
        Runnable round = () -> {
            StepOutput out = session.step(states, tokens);
            for (int i = 0; i < b; i++) {
                states[i] = out.nextState()[i];
            }
            session.generate(states, tokens, specs);
        };
        for (int i = 0; i < 50; i++) {
            round.run();
        }
        int arraysBefore = runtime.liveNativeArrays();
        long rssBefore = rssKb();
        long t0 = System.nanoTime();
        int rounds = 300;
        for (int i = 0; i < rounds; i++) {
            round.run();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("soak: %d rounds of step(B=%d)+generate(8 tokens) in %d ms; RSS %d -> %d kB%n",
                rounds, b, ms, rssBefore, rssKb());
        assertEquals(0, arraysBefore, "no native tensor outlives its call");
        assertEquals(arraysBefore, runtime.liveNativeArrays(), "native tensors left behind after " + rounds + " rounds");
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        Assumptions.abort("no /proc/self/status");
        return 0;
    }

    private Path copyTiny() throws IOException {
        return TestModels.copy(TestModels.tiny(), tmp.resolve("tiny-copy"));
    }

    /** The manifest as written, before the fingerprint check (to forge a matching one in a test). */
    private static ModelManifest parseWithoutChecks(Path dir) {
        try {
            return ModelManifest.load(dir);
        } catch (ModelLoadException e) {
            String msg = e.getMessage();
            assertTrue(msg.contains("fingerprint is "), msg);
            String actual = msg.substring(msg.indexOf("fingerprint is ") + 15, msg.indexOf(", manifest says"));
            String declared = msg.substring(msg.indexOf("manifest says ") + 14);
            try {
                Path manifest = dir.resolve("manifest.json");
                Files.writeString(manifest, Files.readString(manifest).replace(declared, actual));
            } catch (IOException io) {
                throw new java.io.UncheckedIOException(io);
            }
            return ModelManifest.load(dir);
        }
    }
}
