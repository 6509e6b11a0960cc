package io.memstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The Java side reproduces model-export's golden vectors (golden/cases.json) for every model and graph. */
class GoldenParityTest {

    @TestFactory
    Stream<DynamicTest> everyGoldenCaseOfEveryModel() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path dir : TestModels.all()) {
            Path golden = dir.resolve("golden");
            JsonNode root = new ObjectMapper().readTree(golden.resolve("cases.json").toFile());
            double atol = root.path("atol").asDouble(1e-4);
            assertTrue(root.path("cases").size() > 0, "no golden cases in " + golden);
            for (JsonNode c : root.path("cases")) {
                String name = dir.getFileName() + "/" + c.path("name").asText();
                tests.add(DynamicTest.dynamicTest(name, () -> runCase(dir, golden, c, atol)));
            }
        }
        return tests.stream();
    }

    /** Each model is loaded once for all its cases; the shared tiny one stays open for other tests. */
    private static final Map<Path, ModelRuntime> RUNTIMES = new java.util.HashMap<>();

    @AfterAll
    static void closeModels() {
        RUNTIMES.forEach((dir, runtime) -> {
            if (!dir.equals(TestModels.tiny())) {
                runtime.close();
            }
        });
        RUNTIMES.clear();
    }

    private void runCase(Path dir, Path golden, JsonNode c, double atol) throws IOException {
        ModelRuntime runtime = RUNTIMES.computeIfAbsent(dir, d -> d.equals(TestModels.tiny())
                ? TestModels.tinyRuntime() : ModelRuntime.load(d, DeviceChoice.CPU, 1));
        try (ModelSession session = new ModelSession(runtime)) {
            switch (c.path("kind").asText()) {
                case "call" -> {
                    Map<String, HostTensor> out = session.call(c.path("graph").asText(), tensors(golden, c.path("inputs")));
                    compareAll(c.path("name").asText(), tensors(golden, c.path("outputs")), out, atol);
                }
                case "sequence" -> runSequence(session, golden, c, atol);
                case "generate" -> runGenerate(session, golden, c, atol);
                default -> throw new AssertionError("unknown case kind " + c.path("kind"));
            }
        }
    }

    /** step once per entry, carrying the Java side's own next state forward. */
    private void runSequence(ModelSession session, Path golden, JsonNode c, double atol) throws IOException {
        ModelManifest m = session.manifest();
        Map<String, HostTensor> state = tensors(golden, c.path("state"));
        int i = 0;
        for (JsonNode step : c.path("steps")) {
            Map<String, HostTensor> in = new LinkedHashMap<>(state);
            in.putAll(tensors(golden, step.path("inputs")));
            Map<String, HostTensor> out = session.call(ModelManifest.STEP, in);
            compareAll(c.path("name").asText() + " step " + i++, tensors(golden, step.path("outputs")), out, atol);
            for (ModelManifest.StateSpec s : m.state()) {
                state.put(s.name(), out.get(s.next()));
            }
        }
        assertTrue(i > 1, "a sequence case has several steps");
    }

    /** prefill, then decode fed the golden greedy tokens; every logits row compared. */
    private void runGenerate(ModelSession session, Path golden, JsonNode c, double atol) throws IOException {
        Map<String, HostTensor> in = tensors(golden, c.path("inputs"));
        HostTensor tokens = tensor(golden, c.path("tokens"));
        HostTensor logits = tensor(golden, c.path("logits"));
        ModelManifest m = session.manifest();
        int b = (int) in.get(ModelManifest.LENGTHS).shape()[0];
        int v = m.tokenizer().vocabSize();
        float[][][] states = new float[b][m.state().size()][];
        for (int s = 0; s < m.state().size(); s++) {
            float[] all = in.get(m.state().get(s).name()).floats();
            int size = m.state().get(s).size();
            for (int row = 0; row < b; row++) {
                states[row][s] = java.util.Arrays.copyOfRange(all, row * size, (row + 1) * size);
            }
        }
        long[] lengths = in.get(ModelManifest.LENGTHS).longs();
        long[] ids = in.get(ModelManifest.TOKENS).longs();
        int width = (int) in.get(ModelManifest.TOKENS).shape()[1];
        int[][] rows = new int[b][];
        for (int row = 0; row < b; row++) {
            rows[row] = new int[(int) lengths[row]];
            for (int t = 0; t < lengths[row]; t++) {
                rows[row][t] = (int) ids[row * width + t];
            }
        }
        int n = (int) tokens.shape()[0];
        try (ModelSession.Decoding d = session.prefill(states, rows)) {
            for (int i = 0; i <= n; i++) {
                for (int row = 0; row < b; row++) {
                    float[] expected = java.util.Arrays.copyOfRange(logits.floats(), (i * b + row) * v, (i * b + row + 1) * v);
                    assertClose(c.path("name").asText() + " logits[" + i + "][" + row + "]", expected, d.logits()[row], atol);
                }
                if (i < n) {
                    long[] next = java.util.Arrays.copyOfRange(tokens.longs(), i * b, (i + 1) * b);
                    for (int row = 0; row < b; row++) {
                        assertEquals(next[row], Sampler.argmax(d.logits()[row]), "golden tokens are the greedy choices");
                    }
                    d.decode(next);
                }
            }
        }
    }

    private static void compareAll(String name, Map<String, HostTensor> expected, Map<String, HostTensor> actual, double atol) {
        assertFalse(expected.isEmpty(), name + ": no expected outputs");
        for (var e : expected.entrySet()) {
            HostTensor a = actual.get(e.getKey());
            assertTrue(a != null, name + ": Java side has no output " + e.getKey());
            assertArrayEquals(e.getValue().shape(), a.shape(), name + ": shape of " + e.getKey());
            if (e.getValue().isFloat()) {
                assertClose(name + " " + e.getKey(), e.getValue().floats(), a.floats(), atol);
            } else {
                assertArrayEquals(e.getValue().longs(), a.longs(), name + " " + e.getKey());
            }
        }
    }

    static void assertClose(String what, float[] expected, float[] actual, double atol) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - (double) actual[i]);
            if (!(diff <= worst)) {
                worst = diff;
                at = i;
            }
        }
        assertTrue(worst <= atol, what + ": max |diff| " + worst + " at " + at + " > " + atol);
    }

    private static Map<String, HostTensor> tensors(Path golden, JsonNode node) throws IOException {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (var e : node.properties()) {
            out.put(e.getKey(), tensor(golden, e.getValue()));
        }
        return out;
    }

    private static HostTensor tensor(Path golden, JsonNode t) throws IOException {
        JsonNode shapeNode = t.path("shape");
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
            count *= shape[i];
        }
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(golden.resolve(t.path("file").asText())))
                .order(ByteOrder.LITTLE_ENDIAN);
        switch (t.path("dtype").asText()) {
            case "float32" -> {
                assertEquals(count * 4, buf.remaining(), "size of " + t.path("file").asText());
                float[] f = new float[(int) count];
                buf.asFloatBuffer().get(f);
                return HostTensor.of(f, shape);
            }
            case "int64" -> {
                assertEquals(count * 8, buf.remaining(), "size of " + t.path("file").asText());
                long[] l = new long[(int) count];
                buf.asLongBuffer().get(l);
                return HostTensor.of(l, shape);
            }
            default -> throw new AssertionError("dtype " + t.path("dtype"));
        }
    }
}
