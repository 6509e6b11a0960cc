package io.memstream.bench;

import io.memstream.demo.DemoTexts;
import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelRuntime;
import io.memstream.model.OrtTuning;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Entry points of {@code memstream bench}: each runs one benchmark and writes its JSON result. */
public final class Benchmarks {

    private Benchmarks() { }

    /** Engine alone: step, cached decoding, cached vs recomputed, batched vs one-at-a-time generation. */
    public static Map<String, Object> engine(Path modelDir, int threads, OrtTuning tuning, EngineSettings s,
                                             Path out, List<String> command) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "engine");
        result.put("environment", BenchOutput.environment(command));
        try (ModelRuntime runtime = ModelRuntime.load(modelDir, DeviceChoice.CPU, threads, tuning)) {
            result.put("model", runtime.manifest().modelId());
            result.put("model_fingerprint", runtime.manifest().fingerprint());
            result.put("threads", threads);
            result.put("ort_optimization", tuning.optimization().name());
            result.put("ort_spinning", tuning.spinning());
            result.put("step_shards", runtime.stepShards());
            result.put("decode_threads", tuning.decodeThreadsFor(threads));
            result.put("step_piece_rows", runtime.stepPieceRows());
            result.put("chunk_length", runtime.manifest().chunkLength());
            result.putAll(new EngineBench(runtime, s.toSettings()).run());
        }
        BenchOutput.write(out, result);
        return result;
    }

    /** Rows per step piece against each other, their calls in turns in one JVM ({@link StepPiecesBench}). */
    public static Map<String, Object> stepPieces(Path modelDir, int threads, int[] pieceRows, int[] batches, int rounds,
                                                 int callsPerTurn, double warmupSeconds, Path out, List<String> command) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "step_pieces");
        result.put("environment", BenchOutput.environment(command));
        result.put("threads", threads);
        result.putAll(StepPiecesBench.run(modelDir, threads, OrtTuning.DEFAULT,
                new StepPiecesBench.Settings(pieceRows, batches, rounds, callsPerTurn, warmupSeconds)));
        BenchOutput.write(out, result);
        return result;
    }

    /** Bytes of state per stream and per changelog record, float32 and float16. */
    public static Map<String, Object> state(Path modelDir, int chunks, Path out, List<String> command)
            throws IOException {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "state");
        result.put("environment", BenchOutput.environment(command));
        StringBuilder text = new StringBuilder();
        try (ModelRuntime runtime = ModelRuntime.load(modelDir, DeviceChoice.CPU, 1)) {
            int need = chunks * runtime.manifest().chunkLength();
            for (DemoTexts.Document d : DemoTexts.load(16, 2048)) {
                text.append(d.text()).append('\n');
            }
            while (text.length() < need) {
                text.append(text);
            }
            result.put("model", runtime.manifest().modelId());
            result.putAll(StateBench.run(runtime, text.substring(0, need - 1),
                    java.util.stream.IntStream.of(1, 8, 64, chunks).filter(c -> c <= chunks).distinct().sorted().toArray()));
        }
        BenchOutput.write(out, result);
        return result;
    }

    /**
     * ONNX Runtime session options on the step graph: per-session pools (every optimisation level,
     * spinning on/off) or, with {@code globalSpin} set, one global pool as memstream runs it.
     */
    public static Map<String, Object> ortOptions(Path modelDir, int threads, double seconds, Boolean globalSpin,
                                                 Path out, List<String> command) throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "ort_options");
        result.put("environment", BenchOutput.environment(command));
        OrtOptionsBench bench = new OrtOptionsBench(modelDir, seconds);
        result.put("threads", threads);
        result.put("configurations", globalSpin == null ? bench.perSession(threads) : bench.globalPool(threads, globalSpin));
        BenchOutput.write(out, result);
        return result;
    }

    /** memstream end to end on a real broker (in this JVM or its own), then the engine alone at the same batch size. */
    public static Map<String, Object> endToEnd(Path modelDir, int threads, EndToEndSettings e, Path out,
                                               List<String> command) throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "e2e");
        result.put("environment", BenchOutput.environment(command));
        result.putAll(new EndToEndBench(modelDir, threads, e.toSettings()).run());
        BenchOutput.write(out, result);
        return result;
    }

    /** The end-to-end benchmark's knobs; {@code rate} 0 publishes everything ahead. */
    public record EndToEndSettings(int streams, int chunks, int chunkBytes, int newTokens, double rate,
                                   int partitions, int streamThreads, Map<String, String> overrides,
                                   double engineSeconds, double pacedWarmupSeconds, double aheadWarmupSeconds,
                                   boolean brokerJvm) {
        EndToEndBench.Settings toSettings() {
            return new EndToEndBench.Settings(streams, chunks, chunkBytes, newTokens, rate, partitions, streamThreads,
                    overrides, engineSeconds, pacedWarmupSeconds, aheadWarmupSeconds, brokerJvm);
        }
    }

    /** The engine benchmark's knobs, as the command line gives them. */
    public record EngineSettings(List<Integer> stepBatches, List<Integer> decodeBatches, int newTokens,
                                 int generationStreams, double warmupSeconds, double measureSeconds, int minReps,
                                 boolean stepOnly) {
        EngineBench.Settings toSettings() {
            return new EngineBench.Settings(stepBatches.stream().mapToInt(Integer::intValue).toArray(),
                    decodeBatches.stream().mapToInt(Integer::intValue).toArray(), newTokens, generationStreams,
                    warmupSeconds, measureSeconds, minReps, stepOnly);
        }
    }
}
