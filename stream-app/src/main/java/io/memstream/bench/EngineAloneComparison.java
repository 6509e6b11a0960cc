package io.memstream.bench;

import io.memstream.config.MemstreamConfig;
import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelRuntime;
import io.memstream.model.GenerationSpec;
import io.memstream.model.ModelSession;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import io.memstream.topology.ChunkAdmission;
import io.memstream.topology.GenerationRequests;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * It steps the run's own chunks, tokenized as the processor does: the text chunker cuts pieces of at
 * most the chunk's bytes at character boundaries, so they hold fewer tokens than the model's chunk
 * length (60.4 on average against 64 in the runs of 2026-12-01), and full rows of 64 would have
 * credited the engine with tokens the processor was never given.
 */
final class EngineAloneComparison {

    /** Batches per batch size, taken at even steps through the run's chunks and stepped in turn. */
    private static final int BATCHES = 16;

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
     * with its own session: steps of the run's chunks at the configured batch size and at the mean batch the
     * processor actually formed, plus generation when the run generated (one stream thread only).
     */
    Map<String, Object> run(MemstreamConfig config, double meanBatch, List<TokenChunk> chunks) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        int callers = streamThreads;
        // One thread per caller for the whole comparison: each keeps its session across batch sizes,
        // and a failed call surfaces here through its future.
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try (ModelRuntime runtime = ModelRuntime.load(modelDir, DeviceChoice.CPU, threads, config.ortTuning())) {
            int[][] rows = tokenize(runtime, chunks);
            for (int b : new int[] {config.topology().batchMaxSize(), Math.max(1, (int) Math.round(meanBatch))}) {
                if (m.containsKey("batch_" + b)) {
                    continue;
                }
                float[][][] states = new float[b][][];
                for (int i = 0; i < b; i++) {
                    states[i] = runtime.initialState();
                }
                List<int[][]> batches = batches(rows, b);
                double tokensPerCall = batches.stream().mapToLong(EngineAloneComparison::tokens).average().orElse(0);
                Callable<Timings> caller = () -> {
                    ModelSession session = runtime.sessionForCurrentThread();
                    int[] next = {0};
                    return Timings.measure(() -> session.step(states, batches.get(next[0]++ % batches.size())),
                            1.0, engineSeconds, 5);
                };
                List<Timings> perCaller = new ArrayList<>();
                for (Future<Timings> f : pool.invokeAll(java.util.Collections.nCopies(callers, caller))) {
                    perCaller.add(f.get());
                }
                Map<String, Object> row = new LinkedHashMap<>(perCaller.get(0).summary());
                double tokensPerS = 0;
                for (Timings t : perCaller) {
                    tokensPerS += tokensPerCall / (t.median() / 1e3);
                }
                row.put("callers", callers);
                row.put("tokens_per_call", Timings.round(tokensPerCall));
                row.put("absorbed_tokens_per_s", Timings.round(tokensPerS));
                if (newTokens > 0 && callers == 1) {
                    row.putAll(generation(runtime, states, batches.get(batches.size() / 2), chunks.get(0).getGenerate()));
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

    /**
     * Step then generation for every row, as the processor does for a generating batch: the run's own
     * request, through the processor's conversion and {@link ModelSession#generate} (sampling, stop
     * checks and the text of each row), not a bare argmax loop, which did less per token than the
     * processor does.
     */
    private Map<String, Object> generation(ModelRuntime runtime, float[][][] states, int[][] tokens,
                                           GenerateRequest request) {
        ModelSession session = runtime.sessionForCurrentThread();
        int b = tokens.length;
        long absorbed = tokens(tokens);
        List<GenerationSpec> specs = new ArrayList<>(b);
        for (int row = 0; row < b; row++) {
            specs.add(GenerationRequests.toSpec(request, "engine-alone-" + row, row));
        }
        int[] generated = {0};
        Timings both = Timings.measure(() -> {
            session.step(states, tokens);
            generated[0] = session.generate(states, tokens, specs).stream().mapToInt(g -> g.tokens().length).sum();
        }, 1.0, engineSeconds, 3);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step_and_generate", both.summary());
        row.put("generated_tokens_per_call", generated[0]);
        row.put("absorbed_tokens_per_s_with_generation", Timings.round(absorbed / (both.median() / 1e3)));
        row.put("generated_tokens_per_s", Timings.round(generated[0] / (both.median() / 1e3)));
        return row;
    }

    /** The chunks' model rows, as the processor's admission makes them (BOS at seq 0, long records split). */
    private static int[][] tokenize(ModelRuntime runtime, List<TokenChunk> chunks) {
        ChunkAdmission admission = new ChunkAdmission(runtime.tokenizer(), runtime.manifest().chunkLength());
        return chunks.stream().flatMap(c -> admission.split(c).stream())
                .map(part -> part.getTokens().stream().mapToInt(Integer::intValue).toArray())
                .toArray(int[][]::new);
    }

    /** {@link #BATCHES} batches of b consecutive chunks, starting at even steps through the run's chunks. */
    private static List<int[][]> batches(int[][] rows, int b) {
        List<int[][]> out = new ArrayList<>(BATCHES);
        for (int k = 0; k < BATCHES; k++) {
            int start = (int) ((long) k * rows.length / BATCHES);
            int[][] batch = new int[b][];
            for (int i = 0; i < b; i++) {
                batch[i] = rows[(start + i) % rows.length];
            }
            out.add(batch);
        }
        return out;
    }

    private static long tokens(int[][] batch) {
        long n = 0;
        for (int[] row : batch) {
            n += row.length;
        }
        return n;
    }
}
