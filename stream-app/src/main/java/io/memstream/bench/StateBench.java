package io.memstream.bench;

import io.memstream.model.ModelRuntime;
import io.memstream.topology.StateFootprint;
import io.memstream.topology.TopologyConfig.StateDtype;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bytes of state per stream and per changelog record, float32 and float16, after growing numbers of
 * chunks (the size must not depend on the stream's length), and the error float16 storage adds to the
 * bits per byte the model reports; and the stream thread's time to encode and decode one memory in
 * each dtype (the memory codec alone, median of rounds).
 */
final class StateBench {

    /** Rounds of codec calls, and calls a round: the first rounds warm the JIT, the median is reported. */
    static final int CODEC_ROUNDS = 21;
    static final int CODEC_CALLS = 2000;

    private StateBench() { }

    static Map<String, Object> run(ModelRuntime runtime, String text, int[] checkpoints) {
        String streamId = "stream-000042";
        StateFootprint.Trace fp32 = StateFootprint.trace(runtime, StateDtype.FLOAT32, streamId, text);
        StateFootprint.Trace fp16 = StateFootprint.trace(runtime, StateDtype.FLOAT16, streamId, text);
        int chunkLength = runtime.manifest().chunkLength();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("stream_id", streamId);
        out.put("key_bytes", fp32.keyBytes());
        int stateValues = runtime.manifest().state().stream().mapToInt(s -> s.size()).sum();
        out.put("state_values", stateValues);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int c : checkpoints) {
            if (c > fp32.valueBytes().length) {
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("chunks", c);
            row.put("tokens", c * chunkLength);
            row.put("fp32_value_bytes", fp32.valueBytes()[c - 1]);
            row.put("fp32_changelog_record_bytes", fp32.changelogRecordBytes(c - 1));
            row.put("fp16_value_bytes", fp16.valueBytes()[c - 1]);
            row.put("fp16_changelog_record_bytes", fp16.changelogRecordBytes(c - 1));
            rows.add(row);
            BenchOutput.progress("state after %d chunks: fp32 %d B, fp16 %d B per stream", c,
                    fp32.valueBytes()[c - 1], fp16.valueBytes()[c - 1]);
        }
        out.put("by_length", rows);
        double maxDiff = 0;
        double sum32 = 0;
        double sum16 = 0;
        int n = fp32.bitsPerChunk().length;
        for (int c = 0; c < n; c++) {
            maxDiff = Math.max(maxDiff, Math.abs(StateFootprint.bitsPerByte(fp32, c) - StateFootprint.bitsPerByte(fp16, c)));
            sum32 += StateFootprint.bitsPerByte(fp32, c);
            sum16 += StateFootprint.bitsPerByte(fp16, c);
        }
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("chunks", n);
        err.put("max_abs_diff_bits_per_byte", maxDiff);
        err.put("mean_bits_per_byte_fp32", sum32 / n);
        err.put("mean_bits_per_byte_fp16", sum16 / n);
        out.put("fp16_error", err);
        BenchOutput.progress("fp16 storage over %d chunks: max |diff| %.2e bits/byte", n, maxDiff);
        List<Map<String, Object>> codec = new ArrayList<>();
        for (StateDtype dtype : List.of(StateDtype.FLOAT32, StateDtype.FLOAT16)) {
            StateFootprint.CodecRounds t = StateFootprint.codecRounds(runtime, dtype, text, CODEC_ROUNDS, CODEC_CALLS);
            double encode = Timings.of(t.encodeMicros()).median();
            double decode = Timings.of(t.decodeMicros()).median();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("dtype", dtype.label());
            row.put("encode_us", encode);
            row.put("decode_us", decode);
            codec.add(row);
            BenchOutput.progress("%s memory: encode %.1f us, decode %.1f us", dtype.label(), encode, decode);
        }
        out.put("codec", Map.of("rounds", CODEC_ROUNDS, "calls_per_round", CODEC_CALLS, "by_dtype", codec));
        return out;
    }
}
