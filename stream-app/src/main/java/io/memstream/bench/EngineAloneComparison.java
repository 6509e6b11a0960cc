package io.memstream.bench;

import io.memstream.config.MemstreamConfig;
import io.memstream.model.DeviceChoice;
import io.memstream.model.GenerationSpec;
import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import io.memstream.model.StepOutput;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import io.memstream.topology.ChunkAdmission;
import io.memstream.topology.GenerationRequests;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The end-to-end benchmark's comparator: the engine alone at the batch sizes the processor was set
 * to and actually formed, so that the end-to-end rate has a figure from the same run to be divided by.
 *
 * <p>It runs the model as the processor does, and as well as the engine alone can: batches of the
 * run's own chunks, tokenized as the processor does (the text chunker cuts pieces of at most the
 * chunk's bytes at character boundaries, so they hold fewer tokens than the model's chunk length:
 * 60.4 on average against 64 in the runs of 2026-12-01, and full rows would credit the engine with
 * tokens the processor was never given), split steps on the step parts and generations on the model
 * workers, with 1, 2 (one task's split steps, {@code BatchesInFlight}) and 4 (its unsplit ones on
 * two workers) batches in flight; the best of
 * the three is the figure the processor is compared with, so that keeping batches in flight, which
 * the processor does, never counts as the processor's gain over the engine alone.
 *
 * <p>These machines drift by several percent over minutes, so the configured batch size is measured
 * twice, before the processor runs (broker up, idle) and after it (broker stopped), and each figure is
 * the median of both measurements' windows: one short measurement after the run had decided the
 * ratio by the machine's mood of those two seconds (0.70 and 0.92 in two runs of one day). The batch
 * the processor formed, when it is not the configured one (generating runs form 28-29 of 32), is known
 * only after the run, so it is measured then for twice as long: as many windows as the configured
 * batch's two measurements (so is every size of a paced run, which measures nothing before). With
 * half as many (the best of three depths, each the median of three windows), the formed batch's
 * engine alone came out at 0.86-1.23x the configured batch's in five runs of one configuration (run
 * W, docs/performance-runs.md).
 *
 * <p>Each measurement also reads the cores the model used ({@link CpuShares#modelCores}), so that a
 * run's ratio can be taken apart into the model's share of the machine and what it made of it
 * ({@code EndToEndBench.CoreShare}).
 */
final class EngineAloneComparison {

    /** Batches per batch size, taken at even steps through the run's chunks and stepped in turn. */
    private static final int BATCHES = 16;
    /** Batches kept with the model: one at a time, and what one task keeps with two step parts or two workers. */
    private static final int[] IN_FLIGHT = {1, 2, 4};
    /** Throughput is counted in windows this long; figures are the median window. */
    private static final double WINDOW_SECONDS = 0.5;

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

    /** Window rates at one batch size, by batches in flight, and the tokens a batch of it holds. */
    record Measured(double tokensPerCall, Map<Integer, Rates> byInFlight) { }

    /**
     * Per window, summed over callers: absorbed and generated tokens per second; and per measurement,
     * the cores the model used ({@link CpuShares#modelCores}, warm-up included: the same work).
     */
    private record Rates(double[] absorbed, double[] generated, double[] modelCores) {
        Rates plus(Rates o) {
            return new Rates(concat(absorbed, o.absorbed), concat(generated, o.generated), concat(modelCores, o.modelCores));
        }

        Rates withModelCores(double cores) {
            return new Rates(absorbed, generated, new double[] {cores});
        }
    }

    /**
     * Measures the configured batch size before the processor runs, with the processor's model
     * settings; {@link #run} pools these windows with its own.
     */
    Map<Integer, Measured> before(MemstreamConfig config, List<TokenChunk> chunks) throws Exception {
        return measure(config, chunks, Map.of(config.topology().batchMaxSize(), engineSeconds));
    }

    /**
     * Times the model path alone, in this JVM after the broker has stopped, with the processor's
     * model settings (threads, ONNX Runtime tuning) and as many callers as it had stream threads, each
     * with its own session, step parts and workers: the configured batch size and the mean batch the
     * processor actually formed, with generation when the run generated (one stream thread only).
     * {@code before}: {@link #before}'s measurements, pooled with these.
     */
    Map<String, Object> run(MemstreamConfig config, double meanBatch, List<TokenChunk> chunks,
                            Map<Integer, Measured> before) throws Exception {
        int configured = config.topology().batchMaxSize();
        int formed = Math.max(1, (int) Math.round(meanBatch));
        Map<Integer, Double> seconds = new LinkedHashMap<>();
        for (int b : List.of(configured, formed)) {
            // A size with no measurement before the run to pool with gets as many windows in one.
            seconds.putIfAbsent(b, before.containsKey(b) ? engineSeconds : 2 * engineSeconds);
        }
        Map<Integer, Measured> after = measure(config, chunks, seconds);
        Map<String, Object> m = new LinkedHashMap<>();
        for (int b : seconds.keySet()) {
            m.put("batch_" + b, row(after.get(b), before.get(b)));
        }
        return m;
    }

    /**
     * Measurements at each batch size (in the map's order), every in-flight depth in turn for the
     * size's seconds, on a fresh runtime.
     */
    private Map<Integer, Measured> measure(MemstreamConfig config, List<TokenChunk> chunks,
                                           Map<Integer, Double> secondsBySize) throws Exception {
        Map<Integer, Measured> out = new TreeMap<>();
        boolean generating = newTokens > 0 && streamThreads == 1;
        // One thread per caller for the whole comparison: each keeps its session, step parts and workers
        // across batch sizes, and a failed call surfaces here through its future.
        ExecutorService callers = Executors.newFixedThreadPool(streamThreads);
        try (ModelRuntime runtime = ModelRuntime.load(modelDir, DeviceChoice.CPU, threads, config.ortTuning())) {
            int[][] rows = tokenize(runtime, chunks);
            GenerateRequest request = chunks.get(0).getGenerate();
            boolean first = true;
            for (var size : secondsBySize.entrySet()) {
                int b = size.getKey();
                double seconds = size.getValue();
                float[][][] states = new float[b][][];
                for (int i = 0; i < b; i++) {
                    states[i] = runtime.initialState();
                }
                List<int[][]> batches = batches(rows, b);
                Map<Integer, Rates> byInFlight = new TreeMap<>();
                List<GenerationSpec> specs = generating ? specs(request, b) : null;
                for (int depth : IN_FLIGHT) {
                    double warmup = first ? 1.0 : 0.25;
                    first = false;
                    Callable<Rates> caller = () -> windows(runtime, batches, states, specs, depth, warmup, seconds);
                    Rates total = null;
                    CpuShares.Snapshot cpuFrom = CpuShares.take(() -> -1);
                    for (Future<Rates> f : callers.invokeAll(java.util.Collections.nCopies(streamThreads, caller))) {
                        total = total == null ? f.get() : sum(total, f.get());
                    }
                    double cores = (double) CpuShares.between(cpuFrom, CpuShares.take(() -> -1)).get(CpuShares.MODEL_CORES);
                    byInFlight.put(depth, total.withModelCores(cores));
                    BenchOutput.progress("engine alone at B=%d, %d in flight, %d caller(s): %.0f absorbed tokens/s",
                            b, depth, streamThreads, median(total.absorbed()));
                }
                out.put(b, new Measured(batches.stream().mapToLong(EngineAloneComparison::tokens).average().orElse(0),
                        byInFlight));
            }
        } finally {
            callers.shutdownNow();
        }
        return out;
    }

    /**
     * One caller keeping {@code depth} batches with the model, as the processor keeps them: each
     * batch's step through {@link ModelSession#stepAsync} (split steps on the step parts, smaller ones
     * on a worker) and, when generating, its generation on a model worker at the same time. After
     * {@code warmupSeconds}, for {@code seconds}, the rates of windows of at least
     * {@link #WINDOW_SECONDS} that start and end with a batch ending (so a window holds whole batches
     * only, however long they take).
     */
    private Rates windows(ModelRuntime runtime, List<int[][]> batches, float[][][] states,
                          List<GenerationSpec> specs, int depth, double warmupSeconds, double seconds) {
        ModelSession session = runtime.sessionForCurrentThread();
        ExecutorService workers = runtime.workerForCurrentThread();
        List<long[]> ends = new ArrayList<>(); // {nanos, absorbed, generated} of each batch that ended
        ArrayDeque<CompletableFuture<long[]>> inFlight = new ArrayDeque<>();
        long from = System.nanoTime() + (long) (warmupSeconds * 1e9);
        long to = from + (long) (seconds * 1e9);
        int next = 0;
        long now;
        do {
            while (inFlight.size() < depth) {
                inFlight.add(submit(runtime, session, workers, states, batches.get(next++ % batches.size()), specs));
            }
            long[] done = inFlight.poll().join();
            now = System.nanoTime();
            if (now >= from) {
                ends.add(new long[] {now, done[0], done[1]});
            }
        } while (now < to || ends.size() < 3);
        inFlight.forEach(CompletableFuture::join);
        List<Double> absorbed = new ArrayList<>();
        List<Double> generated = new ArrayList<>();
        long windowNanos = (long) (WINDOW_SECONDS * 1e9);
        int start = 0; // the first batch to end marks the start; its tokens are not counted
        long a = 0;
        long g = 0;
        for (int i = 1; i < ends.size(); i++) {
            a += ends.get(i)[1];
            g += ends.get(i)[2];
            long span = ends.get(i)[0] - ends.get(start)[0];
            if (span >= windowNanos || (absorbed.isEmpty() && i == ends.size() - 1)) {
                absorbed.add(a / (span / 1e9));
                generated.add(g / (span / 1e9));
                start = i;
                a = 0;
                g = 0;
            }
        }
        return new Rates(absorbed.stream().mapToDouble(Double::doubleValue).toArray(),
                generated.stream().mapToDouble(Double::doubleValue).toArray(), new double[0]);
    }

    /** One batch with the model; completes with its absorbed and generated tokens. */
    private static CompletableFuture<long[]> submit(ModelRuntime runtime, ModelSession session, ExecutorService workers,
                                                    float[][][] states, int[][] tokens, List<GenerationSpec> specs) {
        CompletableFuture<StepOutput> step = session.stepAsync(states, tokens, workers);
        CompletableFuture<Integer> generation = specs == null ? CompletableFuture.completedFuture(0)
                : CompletableFuture.supplyAsync(() -> runtime.sessionForCurrentThread().generate(states, tokens, specs)
                        .stream().mapToInt(g -> g.tokens().length).sum(), workers);
        return step.thenCombine(generation, (out, g) -> new long[] {tokens(tokens), g});
    }

    /**
     * A batch size's row: per depth the median window of both measurements (and of each apart), and
     * the best depth's figures, which the ratios use.
     */
    private Map<String, Object> row(Measured after, Measured before) {
        Map<String, Object> row = new LinkedHashMap<>();
        Map<String, Object> depths = new LinkedHashMap<>();
        int best = 0;
        double bestRate = -1;
        for (var e : after.byInFlight().entrySet()) {
            Rates pooled = before == null ? e.getValue() : e.getValue().plus(before.byInFlight().get(e.getKey()));
            double absorbed = median(pooled.absorbed());
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("absorbed_tokens_per_s", Timings.round(absorbed));
            if (newTokens > 0) {
                d.put("generated_tokens_per_s", Timings.round(median(pooled.generated())));
            }
            d.put("windows", pooled.absorbed().length);
            d.put("model_cores", Timings.round(Arrays.stream(pooled.modelCores()).average().orElse(0)));
            d.put("after_absorbed_tokens_per_s", Timings.round(median(e.getValue().absorbed())));
            if (before != null) {
                d.put("before_absorbed_tokens_per_s", Timings.round(median(before.byInFlight().get(e.getKey()).absorbed())));
            }
            depths.put(Integer.toString(e.getKey()), d);
            if (absorbed > bestRate) {
                bestRate = absorbed;
                best = e.getKey();
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> top = (Map<String, Object>) depths.get(Integer.toString(best));
        row.put("callers", streamThreads);
        row.put("tokens_per_call", Timings.round(after.tokensPerCall()));
        row.put("window_s", WINDOW_SECONDS);
        row.put("best_in_flight", best);
        // Generating runs are compared on the rate of absorbing with generation, the rest on absorbing alone.
        row.put(newTokens > 0 && streamThreads == 1 ? "absorbed_tokens_per_s_with_generation" : "absorbed_tokens_per_s",
                top.get("absorbed_tokens_per_s"));
        if (top.containsKey("generated_tokens_per_s")) {
            row.put("generated_tokens_per_s", top.get("generated_tokens_per_s"));
        }
        row.put("model_cores", top.get("model_cores"));
        row.put("by_in_flight", depths);
        return row;
    }

    private static List<GenerationSpec> specs(GenerateRequest request, int b) {
        List<GenerationSpec> specs = new ArrayList<>(b);
        for (int row = 0; row < b; row++) {
            specs.add(GenerationRequests.toSpec(request, "engine-alone-" + row, row));
        }
        return specs;
    }

    private static Rates sum(Rates a, Rates b) {
        int n = Math.min(a.absorbed().length, b.absorbed().length);
        double[] absorbed = new double[n];
        double[] generated = new double[n];
        for (int i = 0; i < n; i++) {
            absorbed[i] = a.absorbed()[i] + b.absorbed()[i];
            generated[i] = a.generated()[i] + b.generated()[i];
        }
        return new Rates(absorbed, generated, new double[0]);
    }

    private static double[] concat(double[] a, double[] b) {
        double[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static double median(double[] values) {
        return values.length == 0 ? 0 : Timings.of(values).median();
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
