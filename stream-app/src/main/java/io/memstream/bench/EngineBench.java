package io.memstream.bench;

import io.memstream.model.Generation;
import io.memstream.model.GenerationSpec;
import io.memstream.model.ModelManifest;
import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model path alone, as the processor calls it ({@link ModelSession}, DJL over ONNX Runtime):
 * {@code step} throughput by batch size, cached decoding throughput, cached decoding against
 * recomputing the whole window for each new token, and batched generation across streams against
 * one stream at a time. No Kafka, no stores.
 */
final class EngineBench {

    /** Settings of one run; seconds are per measured configuration. */
    record Settings(int[] stepBatches, int[] decodeBatches, int newTokens, int generationStreams,
                    double warmupSeconds, double measureSeconds, int minReps, boolean stepOnly) { }

    private final ModelRuntime runtime;
    private final ModelManifest manifest;
    private final ModelSession session;
    private final Settings settings;
    private final EngineWorkloads workloads;

    EngineBench(ModelRuntime runtime, Settings settings) {
        this.runtime = runtime;
        this.manifest = runtime.manifest();
        this.session = runtime.sessionForCurrentThread();
        this.settings = settings;
        this.workloads = new EngineWorkloads(runtime, 6);
    }

    Map<String, Object> run() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("step", step());
        if (settings.stepOnly()) { // bench/paired-step.sh: rounds of step alone, in turns with PyTorch
            return out;
        }
        out.put("decode", decode());
        out.put("cached_vs_recompute", cachedVsRecompute());
        out.put("batched_generation", batchedGeneration());
        out.put("two_threads_merging", twoThreads());
        return out;
    }

    /** step over full chunks: tokens/s absorbed = B * chunk_length / median call time. */
    private List<Map<String, Object>> step() {
        List<Map<String, Object>> rows = new ArrayList<>();
        int len = manifest.chunkLength();
        for (int b : settings.stepBatches()) {
            float[][][] states = workloads.states(b);
            int[][] tokens = workloads.tokens(b, len);
            Timings t = Timings.measure(() -> session.step(states, tokens),
                    settings.warmupSeconds(), settings.measureSeconds(), settings.minReps());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("batch", b);
            row.put("tokens_per_call", b * len);
            row.putAll(t.summary());
            row.put("tokens_per_s", Timings.round(b * len / (t.median() / 1e3)));
            rows.add(row);
            BenchOutput.progress("step B=%d: %.2f ms median, %.0f tokens/s", b, t.median(), b * len / (t.median() / 1e3));
        }
        return rows;
    }

    /** One decode call per generated token after a full-chunk prefill: tokens/s = B / median call time. */
    private List<Map<String, Object>> decode() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int b : settings.decodeBatches()) {
            float[][][] states = workloads.states(b);
            int[][] tokens = workloads.tokens(b, manifest.chunkLength());
            // A fresh prefill whenever the cache has grown to the model's limit, outside the timed call.
            ModelSession.Decoding[] d = {session.prefill(states, tokens)};
            int[] used = {0};
            long[] next = new long[b];
            Timings t;
            try {
                t = Timings.measure(() -> {
                    if (used[0] == manifest.maxNewTokens()) {
                        d[0].close();
                        d[0] = session.prefill(states, tokens);
                        used[0] = 0;
                    }
                    for (int row = 0; row < b; row++) {
                        next[row] = EngineWorkloads.argmax(d[0].logits()[row]);
                    }
                    d[0].decode(next);
                    used[0]++;
                }, settings.warmupSeconds(), settings.measureSeconds(), settings.minReps());
            } finally {
                d[0].close();
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("batch", b);
            row.putAll(t.summary());
            row.put("tokens_per_s", Timings.round(b / (t.median() / 1e3)));
            rows.add(row);
            BenchOutput.progress("decode B=%d: %.3f ms median, %.0f tokens/s", b, t.median(), b / (t.median() / 1e3));
        }
        return rows;
    }

    /**
     * N new tokens after a full chunk, greedy: prefill once then N-1 decode calls with the cache, against
     * recomputing prefill over the chunk plus everything generated so far for every token (what a
     * model without a cache does). Both pick the same tokens; the comparison is wall time.
     */
    private List<Map<String, Object>> cachedVsRecompute() {
        List<Map<String, Object>> rows = new ArrayList<>();
        int n = Math.min(settings.newTokens(), manifest.maxNewTokens());
        for (int b : new int[] {1, 8}) {
            float[][][] states = workloads.states(b);
            int[][] tokens = workloads.tokens(b, manifest.chunkLength());
            Timings cached = Timings.measure(() -> EngineWorkloads.cachedGeneration(session, states, tokens, n),
                    settings.warmupSeconds(), settings.measureSeconds(), Math.max(3, settings.minReps() / 4));
            Timings recompute = Timings.measure(() -> EngineWorkloads.recomputedGeneration(session, states, tokens, n),
                    settings.warmupSeconds(), settings.measureSeconds(), Math.max(3, settings.minReps() / 4));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("batch", b);
            row.put("new_tokens", n);
            row.put("cached", withRate(cached, b * n));
            row.put("recompute", withRate(recompute, b * n));
            row.put("speedup", Timings.round(recompute.median() / cached.median()));
            rows.add(row);
            BenchOutput.progress("%d new tokens B=%d: cached %.1f ms, recompute %.1f ms, %.2fx", n, b,
                    cached.median(), recompute.median(), recompute.median() / cached.median());
        }
        return rows;
    }

    /**
     * S streams each generating N tokens through {@link ModelSession#generate}, as the processor
     * generates (greedy here; on CPU a batch's rows shared out over the model's threads): all S in one
     * call, against the same done one stream at a time (S calls of one row). Rates count the tokens
     * the calls gave (a row that ends at EOS gives fewer).
     */
    private Map<String, Object> batchedGeneration() {
        int s = settings.generationStreams();
        int n = Math.min(settings.newTokens(), manifest.maxNewTokens());
        float[][][] states = workloads.states(s);
        int[][] tokens = workloads.tokens(s, manifest.chunkLength());
        List<GenerationSpec> specs = new ArrayList<>(s);
        for (int i = 0; i < s; i++) {
            specs.add(new GenerationSpec(n, 0f, 0, 1f, i, List.of()));
        }
        int[] batchedTokens = {0};
        int[] singleTokens = {0};
        Timings batched = Timings.measure(() -> batchedTokens[0] = generated(session.generate(states, tokens, specs)),
                settings.warmupSeconds(), settings.measureSeconds(), 3);
        Timings oneByOne = Timings.measure(() -> {
            int sum = 0;
            for (int i = 0; i < s; i++) {
                sum += generated(session.generate(new float[][][] {states[i]}, new int[][] {tokens[i]},
                        List.of(specs.get(i))));
            }
            singleTokens[0] = sum;
        }, settings.warmupSeconds(), settings.measureSeconds(), 3);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("streams", s);
        row.put("new_tokens_per_stream", n);
        row.put("path", "ModelSession.generate, greedy");
        row.put("batched", withRate(batched, batchedTokens[0]));
        row.put("one_stream_at_a_time", withRate(oneByOne, singleTokens[0]));
        // tokens/s batched over tokens/s one at a time
        double speedup = (batchedTokens[0] / batched.median()) / (singleTokens[0] / oneByOne.median());
        row.put("speedup", Timings.round(speedup));
        BenchOutput.progress("generation %d streams x %d tokens: batched %.1f ms, one at a time %.1f ms, %.2fx", s, n,
                batched.median(), oneByOne.median(), speedup);
        return row;
    }

    private static int generated(List<Generation> gens) {
        return gens.stream().mapToInt(g -> g.tokens().length).sum();
    }

    /**
     * Two threads (as two stream threads would) each stepping batches of {@code B} full chunks: each on
     * its own session, calls running concurrently on ORT's shared pool, against one shared session
     * that merges their concurrent batches ({@code batch.merge=true}).
     */
    private List<Map<String, Object>> twoThreads() {
        List<Map<String, Object>> rows = new ArrayList<>();
        int len = manifest.chunkLength();
        // Exactly two threads, both alive throughout (they hold their sessions); a fixed pool is that.
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            twoThreads(pool, rows, len);
        } finally {
            pool.shutdownNow();
        }
        return rows;
    }

    private void twoThreads(java.util.concurrent.ExecutorService pool, List<Map<String, Object>> rows, int len) {
        for (int b : new int[] {8, 32}) {
            float[][][] states = workloads.states(b);
            int[][] tokens = workloads.tokens(b, len);
            io.memstream.model.MergingStepper merging = runtime.mergingStepper(2 * b);
            for (boolean merge : new boolean[] {false, true}) {
                long calls0 = merging.calls();
                long req0 = merging.requests();
                Timings t = Timings.measure(() -> inTwoThreads(pool, () -> {
                    if (merge) {
                        merging.step(states, tokens);
                    } else {
                        runtime.sessionForCurrentThread().step(states, tokens);
                    }
                }, 8), settings.warmupSeconds(), settings.measureSeconds(), 3);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("batch_per_thread", b);
                row.put("merge", merge);
                row.put("calls_per_round", 16);
                row.putAll(t.summary());
                row.put("tokens_per_s", Timings.round(2 * 8 * b * len / (t.median() / 1e3)));
                if (merge) {
                    long calls = merging.calls() - calls0;
                    row.put("mean_batches_per_model_call", Timings.round((merging.requests() - req0) / (double) calls));
                }
                rows.add(row);
                BenchOutput.progress("two threads x 8 steps of B=%d, merge=%s: %.1f ms per round, %.0f tokens/s", b, merge,
                        t.median(), 2 * 8 * b * len / (t.median() / 1e3));
            }
        }
    }

    /**
     * Runs {@code op} {@code times} times on each of two long-lived threads (each keeps its own
     * session, as a stream thread does) and waits for both.
     */
    private static void inTwoThreads(java.util.concurrent.ExecutorService pool, Runnable op, int times) {
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            done.add(pool.submit(() -> {
                for (int k = 0; k < times; k++) {
                    op.run();
                }
            }));
        }
        try {
            for (var f : done) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private static Map<String, Object> withRate(Timings t, int tokens) {
        Map<String, Object> m = t.summary();
        m.put("tokens_per_s", Timings.round(tokens / (t.median() / 1e3)));
        return m;
    }
}
