package io.memstream.bench;

import io.memstream.demo.DemoTexts;
import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Entry points of {@code memstream bench}: each runs one benchmark and writes its JSON result. */
public final class Benchmarks {

    private Benchmarks() { }

    /** Engine alone: step, cached decoding, cached vs recomputed, batched vs one-at-a-time generation. */
    public static Map<String, Object> engine(Path modelDir, int threads, EngineSettings s, Path out,
                                             List<String> command) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "engine");
        result.put("environment", BenchOutput.environment(command));
        try (ModelRuntime runtime = ModelRuntime.load(modelDir, DeviceChoice.CPU, threads)) {
            result.put("model", runtime.manifest().modelId());
            result.put("model_fingerprint", runtime.manifest().fingerprint());
            result.put("threads", threads);
            result.put("chunk_length", runtime.manifest().chunkLength());
            result.putAll(new EngineBench(runtime, s.toSettings()).run());
        }
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
            result.putAll(StateBench.run(runtime, text.substring(0, need - 1), new int[] {1, 8, 64, chunks}));
        }
        BenchOutput.write(out, result);
        return result;
    }

    /** The engine benchmark's knobs, as the command line gives them. */
    public record EngineSettings(List<Integer> stepBatches, List<Integer> decodeBatches, int newTokens,
                                 int generationStreams, double warmupSeconds, double measureSeconds, int minReps) {
        EngineBench.Settings toSettings() {
            return new EngineBench.Settings(stepBatches.stream().mapToInt(Integer::intValue).toArray(),
                    decodeBatches.stream().mapToInt(Integer::intValue).toArray(), newTokens, generationStreams,
                    warmupSeconds, measureSeconds, minReps);
        }
    }
}
