package io.memstream.topology;

import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import io.memstream.model.StepOutput;
import io.memstream.schema.MemoryState;
import java.util.Arrays;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What one stream's memory costs in the store and its changelog, and what storing it as float16
 * does to the model's outputs: reads a text chunk by chunk through the real codec and serde, once
 * with each stored dtype, and compares. Used by {@code memstream bench state} and the fp16 test.
 */
public final class StateFootprint {

    /**
     * @param valueBytes   serialized {@code MemoryState} after each chunk (the store value)
     * @param keyBytes     the stream id as the store and changelog key
     * @param bitsPerChunk bits the model spent on each chunk, given the memory as stored
     */
    public record Trace(TopologyConfig.StateDtype dtype, int[] valueBytes, int keyBytes, double[] bitsPerChunk,
                        int[] byteTokensPerChunk) {

        /** Changelog record payload (key + value); Kafka adds its own per-record framing on top. */
        public int changelogRecordBytes(int chunk) {
            return keyBytes + valueBytes[chunk];
        }
    }

    /** Each round's microseconds a call to encode one memory into its store value's tensors, and to decode them back. */
    public record CodecRounds(double[] encodeMicros, double[] decodeMicros) { }

    private StateFootprint() { }

    /**
     * Times the stream thread's share of storing a memory, without the Avro serde: {@code rounds}
     * rounds of {@code perRound} encodes and as many decodes of the memory the model writes after
     * reading {@code text}, each round's time per call (the caller takes the median).
     */
    public static CodecRounds codecRounds(ModelRuntime runtime, TopologyConfig.StateDtype dtype, String text,
                                          int rounds, int perRound) {
        MemoryCodec codec = new MemoryCodec(runtime.manifest(), runtime.initialState(),
                TopologyConfig.FingerprintMismatch.FAIL, dtype);
        int[] ids = runtime.tokenizer().encode(text, true);
        int[] tokens = Arrays.copyOf(ids, Math.min(ids.length, runtime.manifest().chunkLength()));
        float[][] memory = runtime.sessionForCurrentThread()
                .step(new float[][][] {runtime.initialState()}, new int[][] {tokens}).nextState()[0];
        double[] encode = new double[rounds];
        double[] decode = new double[rounds];
        MemoryState stored = codec.encode(memory, 0L, 1L, tokens.length, 0L);
        long sink = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < perRound; i++) {
                stored = codec.encode(memory, i, 1L, tokens.length, 0L);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < perRound; i++) {
                sink += codec.tensors("s", stored)[0].length;
            }
            long t2 = System.nanoTime();
            encode[r] = (t1 - t0) / 1e3 / perRound;
            decode[r] = (t2 - t1) / 1e3 / perRound;
        }
        if (sink != (long) rounds * perRound * memory[0].length) {
            throw new IllegalStateException("decoded memories of the wrong size");
        }
        return new CodecRounds(encode, decode);
    }

    /**
     * Absorbs {@code text} in model chunks as stream {@code streamId}, storing and re-reading the memory
     * after every chunk exactly as the processor does (encode, serialize, deserialize, decode).
     */
    public static Trace trace(ModelRuntime runtime, TopologyConfig.StateDtype dtype, String streamId, String text) {
        MemoryCodec codec = new MemoryCodec(runtime.manifest(), runtime.initialState(),
                TopologyConfig.FingerprintMismatch.FAIL, dtype);
        AvroBinarySerde<MemoryState> serde = new AvroBinarySerde<>(MemoryState.class);
        int chunk = runtime.manifest().chunkLength();
        int[] ids = runtime.tokenizer().encode(text, true);
        int chunks = (ids.length + chunk - 1) / chunk;
        int[] valueBytes = new int[chunks];
        double[] bits = new double[chunks];
        int[] byteTokens = new int[chunks];
        ModelSession session = runtime.sessionForCurrentThread();
        MemoryState stored = null;
        try (Serializer<String> keys = new StringSerializer();
             var ser = serde.serializer(); var de = serde.deserializer()) {
            for (int c = 0; c < chunks; c++) {
                int[] tokens = Arrays.copyOfRange(ids, c * chunk, Math.min(ids.length, (c + 1) * chunk));
                float[][] state = codec.tensors(streamId, stored);
                StepOutput out = session.step(new float[][][] {state}, new int[][] {tokens});
                bits[c] = out.bits()[0];
                for (int id : tokens) {
                    byteTokens[c] += io.memstream.model.ByteTokenizer.isByte(id) ? 1 : 0;
                }
                byte[] value = ser.serialize("changelog", codec.encode(out.nextState()[0], c, c + 1L,
                        (long) (c + 1) * chunk, 0L));
                valueBytes[c] = value.length;
                stored = de.deserialize("changelog", value);
            }
            int keyBytes = keys.serialize("changelog", streamId).length;
            return new Trace(dtype, valueBytes, keyBytes, bits, byteTokens);
        }
    }

    /** Bits per byte of chunk {@code c} of a trace. */
    public static double bitsPerByte(Trace t, int c) {
        return t.bitsPerChunk()[c] / Math.max(1, t.byteTokensPerChunk()[c]);
    }
}
