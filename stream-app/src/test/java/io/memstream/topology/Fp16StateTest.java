package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.demo.DemoTexts;
import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelManifest;
import io.memstream.model.ModelRuntime;
import io.memstream.model.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** state.dtype=float16: exact conversions, half the bytes, and a bounded effect on the model's outputs. */
class Fp16StateTest {

    @Test
    void everyHalfValueRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Half.toFloat((short) h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(f))));
                continue;
            }
            assertEquals((short) h, Half.fromFloat(f), "half 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void roundsToNearestEven() {
        assertEquals((short) 0x3c00, Half.fromFloat(1.0f));
        assertEquals((short) 0x7bff, Half.fromFloat(65504f));
        assertEquals((short) 0x7c00, Half.fromFloat(65520f)); // halfway to the next: rounds up to infinity
        assertEquals((short) 0x0001, Half.fromFloat(0x1p-24f)); // smallest subnormal
        assertEquals((short) 0x0000, Half.fromFloat(0x1p-26f));
        assertEquals((short) 0x8000, Half.fromFloat(-0f));
        assertEquals((short) 0x3c00, Half.fromFloat(1.0f + 0x1p-11f)); // tie, even stays
        assertEquals((short) 0x3c02, Half.fromFloat(1.0f + 3 * 0x1p-11f)); // tie, odd rounds up
        for (float f = -70000f; f < 70000f; f += 13.37f) {
            float back = Half.toFloat(Half.fromFloat(f));
            if (Math.abs(f) < 65504f) {
                // Half of a half-precision ulp: 2^-11 relative for normal values, 2^-25 absolute below.
                assertTrue(Math.abs(back - f) <= Math.max(Math.abs(f) * 0x1p-11f, 0x1p-25f), f + " -> " + back);
            }
        }
    }

    /** The whole-tensor conversions give what the per-value ones give, bit for bit. */
    @Test
    void arrayConversionsMatchThePerValueOnes() {
        short[] halves = new short[0x10000];
        for (int h = 0; h < halves.length; h++) {
            halves[h] = (short) h;
        }
        float[] floats = new float[halves.length];
        Half.toFloats(halves, floats);
        for (int h = 0; h < halves.length; h++) {
            assertEquals(Float.floatToRawIntBits(Half.toFloat((short) h)), Float.floatToRawIntBits(floats[h]),
                    "half 0x" + Integer.toHexString(h));
        }
        // Every exponent and sign, with the dropped 13 mantissa bits at and around the rounding midpoint,
        // the kept ones even, odd and all ones (the carry into the exponent), and a stride over all floats.
        int[] dropped = {0, 1, 0xfff, 0x1000, 0x1001, 0x1fff};
        int[] kept = {0, 1, 2, 0x155, 0x3fe, 0x3ff};
        java.util.List<Integer> bits = new java.util.ArrayList<>();
        for (int sign = 0; sign < 2; sign++) {
            for (int exp = 0; exp < 256; exp++) {
                for (int k : kept) {
                    for (int d : dropped) {
                        bits.add((sign << 31) | (exp << 23) | (k << 13) | d);
                    }
                }
            }
        }
        for (long b = 0; b <= 0xffffffffL; b += 4099) {
            bits.add((int) b);
        }
        float[] in = new float[bits.size()];
        for (int i = 0; i < in.length; i++) {
            in[i] = Float.intBitsToFloat(bits.get(i));
        }
        short[] out = new short[in.length];
        Half.fromFloats(in, out);
        for (int i = 0; i < in.length; i++) {
            assertEquals(Half.fromFloat(in[i]), out[i], "float bits 0x" + Integer.toHexString(bits.get(i)));
        }
    }

    /** A tensor too large for float16 is stored as float32, exactly, and the others still as float16. */
    @Test
    void aTensorBeyondFloat16IsStoredAsFloat32() throws Exception {
        // the tiny infinity-former: two state tensors (ltm, stm)
        try (ModelRuntime runtime = ModelRuntime.load(TestModels.repoRoot().resolve("models/tiny-infinity"),
                DeviceChoice.CPU, 1)) {
            assertEquals(2, runtime.initialState().length);
            MemoryCodec codec = new MemoryCodec(runtime.manifest(), runtime.initialState(),
                    TopologyConfig.FingerprintMismatch.FAIL, TopologyConfig.StateDtype.FLOAT16);
            float[][] memory = new float[runtime.initialState().length][];
            for (int i = 0; i < memory.length; i++) {
                memory[i] = new float[runtime.initialState()[i].length];
                java.util.Arrays.fill(memory[i], 0.5f);
            }
            memory[0][1] = 70000f; // beyond float16's largest finite value, 65504
            memory[0][2] = Float.POSITIVE_INFINITY; // already infinite: float16 keeps it
            var stored = codec.encode(memory, 0L, 1L, 1L, 0L);
            assertEquals("float32", stored.getTensors().get(0).getDtype());
            float[][] back = codec.tensors("s", stored);
            assertEquals(70000f, back[0][1]);
            assertEquals(Float.POSITIVE_INFINITY, back[0][2]);
            for (int i = 1; i < memory.length; i++) {
                assertEquals("float16", stored.getTensors().get(i).getDtype(), "tensor " + i);
                assertEquals(0.5f, back[i][0]);
            }
            memory[0][1] = 0.5f;
            assertEquals("float16", codec.encode(memory, 0L, 1L, 1L, 0L).getTensors().get(0).getDtype(),
                    "an infinity already in the memory is no reason for float32");
            short[] out = new short[2];
            assertFalse(Half.fromFloats(new float[] {1f, 65520f}, out)); // halfway to the next: rounds up to infinity
            assertTrue(Half.fromFloats(new float[] {65504f, Float.NaN}, out));
        }
    }

    /**
     * Each committed model whose manifest says its state may be stored as float16 (model-export's
     * check, {@code state_storage}; the default model among them) reads 48 chunks of real text twice,
     * its memory stored as float32 and as float16 after every chunk: the bits per byte it reports
     * differ by less than 0.01 on every chunk (measured: under 1e-3 for the default model), and the
     * stored value is about half the size, whatever the position. memstream's own codec and runtime
     * hold to what model-export measured on its side.
     */
    @Test
    void everyModelThatSaysFloat16BarelyChangesItsOutputs() throws Exception {
        List<Path> float16 = TestModels.all().stream()
                .filter(dir -> ModelManifest.FLOAT16.equals(ModelManifest.load(dir).stateStorageDtype())).toList();
        assertTrue(float16.contains(TestModels.repoRoot().resolve("models/default")), "float16 models: " + float16);
        for (Path dir : float16) {
            float16StorageBarelyChangesTheOutputs(dir);
        }
    }

    private static void float16StorageBarelyChangesTheOutputs(Path dir) throws Exception {
        try (ModelRuntime runtime = ModelRuntime.load(dir, DeviceChoice.CPU, 2)) {
            StringBuilder text = new StringBuilder();
            for (DemoTexts.Document d : DemoTexts.load(4, 1024)) {
                text.append(d.text()).append('\n');
            }
            String input = text.substring(0, Math.min(text.length(), 48 * runtime.manifest().chunkLength() - 1));
            StateFootprint.Trace fp32 = StateFootprint.trace(runtime, TopologyConfig.StateDtype.FLOAT32, "s", input);
            StateFootprint.Trace fp16 = StateFootprint.trace(runtime, TopologyConfig.StateDtype.FLOAT16, "s", input);
            int chunks = fp32.bitsPerChunk().length;
            assertTrue(chunks >= 16, "too little text: " + chunks + " chunks");
            double worst = 0;
            for (int c = 0; c < chunks; c++) {
                worst = Math.max(worst, Math.abs(StateFootprint.bitsPerByte(fp32, c) - StateFootprint.bitsPerByte(fp16, c)));
            }
            assertTrue(worst < 0.01, dir + ": float16 storage moved bits per byte by " + worst);
            int values = runtime.manifest().state().stream().mapToInt(s -> s.size()).sum();
            for (int c : List.of(0, chunks - 1)) {
                assertTrue(fp32.valueBytes()[c] >= 4 * values && fp32.valueBytes()[c] < 4 * values + 256);
                assertTrue(fp16.valueBytes()[c] >= 2 * values && fp16.valueBytes()[c] < 2 * values + 256);
            }
        }
    }
}
