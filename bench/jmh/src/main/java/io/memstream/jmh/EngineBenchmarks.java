package io.memstream.jmh;

import io.memstream.bench.EngineWorkloads;
import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine as the processor calls it ({@link ModelSession}, DJL over ONNX Runtime), under JMH:
 * {@code step} over full chunks by batch size, and N generated tokens per row with the cache and by
 * recomputing the window for every token. Scores are milliseconds per call; tokens/s are
 * batch x chunk_length (step) or batch x tokens (generation) over that. The model directory and ORT
 * threads come from the {@code model} and {@code threads} parameters (bench/jmh.sh sets them).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EngineBenchmarks {

    /** Tokens generated per stream, as issue 6's cached-decoding target names them. */
    static final int NEW_TOKENS = 64;

    /** One loaded model and this thread's session (one per thread, as each stream thread has). */
    @State(Scope.Thread)
    public static class Engine {
        @Param("models/default")
        public String model;
        @Param("2")
        public int threads;

        ModelRuntime runtime;
        ModelSession session;
        EngineWorkloads workloads;

        @Setup(Level.Trial)
        public void load() {
            runtime = ModelRuntime.load(Path.of(model), DeviceChoice.CPU, threads);
            session = runtime.sessionForCurrentThread();
            workloads = new EngineWorkloads(runtime, 6);
        }

        @TearDown(Level.Trial)
        public void close() {
            runtime.close();
        }
    }

    /** Inputs of one batch size: initial states and random full chunks. */
    @State(Scope.Thread)
    public static class StepInput {
        @Param({"1", "8", "32", "128"})
        public int batch;
        float[][][] states;
        int[][] tokens;

        @Setup(Level.Trial)
        public void make(Engine e) {
            states = e.workloads.states(batch);
            tokens = e.workloads.tokens(batch, e.runtime.manifest().chunkLength());
        }
    }

    /** Streams at their start, each with a full chunk to continue by 64 tokens (or the model's limit). */
    abstract static class Streams {
        int newTokens;
        float[][][] states;
        int[][] tokens;

        void make(Engine e, int rows) {
            states = e.workloads.states(rows);
            tokens = e.workloads.tokens(rows, e.runtime.manifest().chunkLength());
            newTokens = Math.min(NEW_TOKENS, e.runtime.manifest().maxNewTokens());
        }
    }

    /** Cached generation by batch size. */
    @State(Scope.Thread)
    public static class Batch extends Streams {
        @Param({"1", "8", "32"})
        public int rows;

        @Setup(Level.Trial)
        public void make(Engine e) {
            make(e, rows);
        }
    }

    /** Recomputation, at the batch sizes it is compared at (at 32 one call takes seconds). */
    @State(Scope.Thread)
    public static class RecomputeBatch extends Streams {
        @Param({"1", "8"})
        public int recomputeRows;

        @Setup(Level.Trial)
        public void make(Engine e) {
            make(e, recomputeRows);
        }
    }

    /** The streams that batched generation serves together, or one at a time. */
    @State(Scope.Thread)
    public static class ManyStreams extends Streams {
        @Param("32")
        public int streams;

        @Setup(Level.Trial)
        public void make(Engine e) {
            make(e, streams);
        }
    }

    @Benchmark
    public Object step(Engine e, StepInput in) {
        return e.session.step(in.states, in.tokens);
    }

    /** Prefill once, then one batched decode call per further token. */
    @Benchmark
    public void generateCached(Engine e, Batch in) {
        EngineWorkloads.cachedGeneration(e.session, in.states, in.tokens, in.newTokens);
    }

    /** The same tokens without a cache: the whole window again for every token. */
    @Benchmark
    public void generateRecomputed(Engine e, RecomputeBatch in) {
        EngineWorkloads.recomputedGeneration(e.session, in.states, in.tokens, in.newTokens);
    }

    /** All streams' generation in one batch (prefill and decode calls at batch {@code streams}). */
    @Benchmark
    public void generateStreamsBatched(Engine e, ManyStreams in) {
        EngineWorkloads.cachedGeneration(e.session, in.states, in.tokens, in.newTokens);
    }

    /** The batched generation's alternative: every stream alone, one after another. */
    @Benchmark
    public void generateStreamsOneAtATime(Engine e, ManyStreams in) {
        for (int r = 0; r < in.streams; r++) {
            EngineWorkloads.cachedGeneration(e.session, new float[][][] {in.states[r]}, new int[][] {in.tokens[r]},
                    in.newTokens);
        }
    }
}
