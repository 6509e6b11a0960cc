package io.memstream.bench;

import io.memstream.config.MemstreamConfig;
import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The end-to-end benchmark's comparator: the engine alone at the batch sizes the processor was set
 * to and actually formed, so that the end-to-end rate has a figure from the same run to be divided by.
 */
final class EngineAloneComparison {

    private final Path modelDir;
    private final int threads;
    private final int streamThreads;
    private final int newTokens;
    private final double engineSeconds;

    EngineAloneComparison(Path modelDir, int threads, int streamThreads, int newTokens, double engineSeconds) {
        this.modelDir = modelDir;
        this.threads = threads;
        this.streamThreads = streamThreads;
        this.newTokens = newTokens;
        this.engineSeconds = engineSeconds;
    }

    /**
     * Times the model path alone, in this JVM after the broker has stopped, with the processor's
     * model settings (threads, ONNX Runtime tuning) and as many callers as it had stream threads, each
     * with its own session: full-chunk steps at the configured batch size and at the mean batch the
     * processor actually formed, plus generation when the run generated (one stream thread only).
     */
    Map<String, Object> run(MemstreamConfig config, double meanBatch) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        int callers = streamThreads;
        // One thread per caller for the whole comparison: each keeps its session across batch sizes,
        // and a failed call surfaces here through its future.
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try (ModelRuntime runtime = ModelRuntime.load(modelDir, DeviceChoice.CPU, threads, config.ortTuning())) {
            int chunkLen = runtime.manifest().chunkLength();
            for (int b : new int[] {config.topology().batchMaxSize(), Math.max(1, (int) Math.round(meanBatch))}) {
                if (m.containsKey("batch_" + b)) {
                    continue;
                }
                float[][][] states = new float[b][][];
                int[][] tokens = new int[b][chunkLen];
                for (int i = 0; i < b; i++) {
                    states[i] = runtime.initialState();
                    Arrays.fill(tokens[i], 'e');
                }
                Callable<Timings> caller = () -> {
                    ModelSession session = runtime.sessionForCurrentThread();
                    return Timings.measure(() -> session.step(states, tokens), 1.0, engineSeconds, 5);
                };
                List<Timings> perCaller = new ArrayList<>();
                for (Future<Timings> f : pool.invokeAll(java.util.Collections.nCopies(callers, caller))) {
                    perCaller.add(f.get());
                }
                Map<String, Object> row = new LinkedHashMap<>(perCaller.get(0).summary());
                double tokensPerS = 0;
                for (Timings t : perCaller) {
                    tokensPerS += b * chunkLen / (t.median() / 1e3);
                }
                row.put("callers", callers);
                row.put("absorbed_tokens_per_s", Timings.round(tokensPerS));
                if (newTokens > 0 && callers == 1) {
                    row.putAll(generation(runtime, states, tokens));
                }
                m.put("batch_" + b, row);
                BenchOutput.progress("engine alone at B=%d, %d caller(s): step %.2f ms median (first caller)", b, callers,
                        perCaller.get(0).median());
            }
        } finally {
            pool.shutdownNow();
        }
        return m;
    }

    /** Step then generation of newTokens tokens for every row, as the processor does for a generating batch. */
    private Map<String, Object> generation(ModelRuntime runtime, float[][][] states, int[][] tokens) {
        ModelSession session = runtime.sessionForCurrentThread();
        int b = tokens.length;
        int chunkLen = runtime.manifest().chunkLength();
        int n = Math.min(newTokens, runtime.manifest().maxNewTokens());
        Timings both = Timings.measure(() -> {
            session.step(states, tokens);
            EngineWorkloads.cachedGeneration(session, states, tokens, n);
        }, 1.0, engineSeconds, 3);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step_and_generate", both.summary());
        row.put("absorbed_tokens_per_s_with_generation", Timings.round(b * chunkLen / (both.median() / 1e3)));
        row.put("generated_tokens_per_s", Timings.round(b * n / (both.median() / 1e3)));
        return row;
    }
}
