package io.memstream.cli;

import io.memstream.bench.Benchmarks;
import io.memstream.config.MemstreamConfig;
import io.memstream.model.OrtTuning;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code memstream bench}: the benchmarks behind docs/PERFORMANCE.md. Each prints progress on stderr
 * and writes one JSON result; bench/run-all.sh runs them all and the Python baselines.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure throughput: the engine alone, end to end on a real broker, state size.",
        subcommands = {BenchCommand.Engine.class, BenchCommand.EndToEnd.class, BenchCommand.State.class,
            BenchCommand.OrtOptions.class, BenchCommand.StepPieces.class})
final class BenchCommand implements Runnable {

    @Option(names = "--model", paramLabel = "DIR", defaultValue = MemstreamConfig.DEFAULT_MODEL_DIR,
            description = "Model directory (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                "a benchmark is needed: engine, e2e, state, ort or pieces");
    }

    Path modelDir() {
        return MemstreamConfig.resolveModelDir(model);
    }

    @Command(name = "engine", mixinStandardHelpOptions = true,
            description = "The model path alone (ModelSession over DJL/ONNX Runtime): step and decode tokens/s by batch size, "
                    + "cached decoding vs recomputation, batched vs one-stream-at-a-time generation.")
    static final class Engine implements Callable<Integer> {
        @ParentCommand
        BenchCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--step-batches", split = ",", defaultValue = "1,8,32,128")
        List<Integer> stepBatches;

        @Option(names = "--decode-batches", split = ",", defaultValue = "1,8,32")
        List<Integer> decodeBatches;

        @Option(names = "--new-tokens", defaultValue = "64")
        int newTokens;

        @Option(names = "--generation-streams", defaultValue = "32")
        int generationStreams;

        @Option(names = "--warmup-s", defaultValue = "2")
        double warmup;

        @Option(names = "--measure-s", defaultValue = "5", description = "Seconds per configuration (at least --min-reps calls).")
        double measure;

        @Option(names = "--min-reps", defaultValue = "20")
        int minReps;

        @Option(names = "--ort-spinning", arity = "1", defaultValue = "false",
                description = "Let ONNX Runtime's idle pool threads spin, as PyTorch's OpenMP threads and onnxruntime's "
                        + "Python binding do by default (model.ort.spinning; default: ${DEFAULT-VALUE}, memstream's default).")
        boolean spinning;

        @Option(names = "--step-shards", defaultValue = "0",
                description = "Parts a step of enough rows is split into (model.step.shards; 0: one per thread, "
                        + "memstream's default; 1: never split).")
        int stepShards;

        @Option(names = "--decode-threads", defaultValue = "0",
                description = "Threads of the decode sessions (model.decode.threads; 0: a step part's, memstream's "
                        + "default).")
        int decodeThreads;

        @Option(names = "--step-only", description = "Time step alone (no decoding, generation or two-thread runs).")
        boolean stepOnly;

        @Option(names = "--out", defaultValue = "bench/results/engine.json")
        Path out;

        @Override
        public Integer call() {
            Benchmarks.engine(parent.modelDir(), parent.threads,
                    new OrtTuning(OrtTuning.DEFAULT.optimization(), spinning, stepShards, decodeThreads),
                    new Benchmarks.EngineSettings(stepBatches, decodeBatches, newTokens, generationStreams, warmup,
                            measure, minReps, stepOnly), out,
                    RecordedCommandLine.of(spec));
            return 0;
        }
    }

    @Command(name = "e2e", mixinStandardHelpOptions = true,
            description = "End to end on a real Kafka broker, in this JVM or with --broker-jvm its own (exactly-once, "
                    + "commit.interval.ms=100): "
                    + "S streams x K chunks published ahead (or at --rate chunks/s into the running processor), time until "
                    + "every output is read read_committed; then the engine alone at the same batch size.")
    static final class EndToEnd implements Callable<Integer> {
        @ParentCommand
        BenchCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--streams", defaultValue = "64")
        int streams;

        @Option(names = "--chunks", defaultValue = "8", description = "Chunks per stream.")
        int chunks;

        @Option(names = "--chunk-bytes", defaultValue = "63", description = "Text bytes per chunk (63: one model chunk with BOS).")
        int chunkBytes;

        @Option(names = "--new-tokens", defaultValue = "0", description = "Generate this many tokens after every chunk (0: none).")
        int newTokens;

        @Option(names = "--rate", defaultValue = "0", description = "Chunks/s into a running processor; 0 publishes all ahead.")
        double rate;

        @Option(names = "--partitions", defaultValue = "2")
        int partitions;

        @Option(names = "--stream-threads", defaultValue = "1")
        int streamThreads;

        @Option(names = "--engine-s", defaultValue = "3", description = "Seconds the engine alone is timed at each batch size and depth in flight, before the run and again after it (twice as long after it for a size not timed before).")
        double engineSeconds;

        @Option(names = "--paced-warmup-s", defaultValue = "3",
                description = "With --rate: seconds of warm-up streams sent at the same rate before the clock starts, "
                        + "reported apart (default: ${DEFAULT-VALUE}; 0: one warm-up chunk only).")
        double pacedWarmupSeconds;

        @Option(names = "--ahead-warmup-s", defaultValue = "0",
                description = "Without --rate: seconds the processor absorbs warm-up streams before it is paused, the "
                        + "run is published and it is resumed (the clock starts then), so it is measured warm, as "
                        + "the engine alone is; 0 (default): the run is published first and the processor starts cold.")
        double aheadWarmupSeconds;

        @Option(names = "--broker-jvm",
                description = "Run the broker in a JVM of its own, with the options Kafka's scripts give a broker, instead "
                        + "of in this one (C1 alone, as memstream's launcher runs it); its CPU is then read as a process.")
        boolean brokerJvm;

        @Option(names = "-D", paramLabel = "KEY=VALUE", description = "memstream/Streams setting, e.g. -D batch.max.size=1")
        java.util.Map<String, String> overrides = new java.util.LinkedHashMap<>();

        @Option(names = "--out", defaultValue = "bench/results/e2e.json")
        Path out;

        @Override
        public Integer call() throws Exception {
            // As the demo: the broker's and clients' logs would drown the progress lines.
            LogLevels.set("io.memstream", "WARN");
            LogLevels.set("org.apache.kafka", "ERROR");
            LogLevels.set("kafka", "OFF");
            LogLevels.set("ai.djl", "ERROR");
            Benchmarks.endToEnd(parent.modelDir(), parent.threads, new Benchmarks.EndToEndSettings(streams, chunks,
                    chunkBytes, newTokens, rate, partitions, streamThreads, overrides, engineSeconds, pacedWarmupSeconds,
                    aheadWarmupSeconds, brokerJvm), out,
                    RecordedCommandLine.of(spec));
            return 0;
        }
    }

    @Command(name = "ort", mixinStandardHelpOptions = true,
            description = "ONNX Runtime session options on the step graph (ORT's Java API): optimisation level, "
                    + "per-session pools with/without spinning; --global-pool-spin true|false measures one global pool "
                    + "(memstream's set-up) instead: one JVM per global-pool setting.")
    static final class OrtOptions implements Callable<Integer> {
        @ParentCommand
        BenchCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--measure-s", defaultValue = "4")
        double seconds;

        @Option(names = "--global-pool-spin", arity = "1", description = "true or false: measure a global pool with this spinning")
        Boolean globalSpin;

        @Option(names = "--out", defaultValue = "bench/results/ort_options.json")
        Path out;

        @Override
        public Integer call() throws Exception {
            Benchmarks.ortOptions(parent.modelDir(), parent.threads, seconds, globalSpin, out,
                    RecordedCommandLine.of(spec));
            return 0;
        }
    }

    @Command(name = "pieces", mixinStandardHelpOptions = true,
            description = "Rows per step piece (model.step.piece.rows) against each other in one JVM, their calls taken "
                    + "in turns: median ms per step call and the time against the first setting.")
    static final class StepPieces implements Callable<Integer> {
        @ParentCommand
        BenchCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--rows", split = ",", defaultValue = "0,8,4,2",
                description = "Piece rows to compare, the first the reference (0: one piece per part; default: ${DEFAULT-VALUE}).")
        List<Integer> rows;

        @Option(names = "--batches", split = ",", defaultValue = "8,32,128")
        List<Integer> batches;

        @Option(names = "--rounds", defaultValue = "12")
        int rounds;

        @Option(names = "--calls", defaultValue = "8", description = "Calls of one setting per turn.")
        int calls;

        @Option(names = "--warmup-s", defaultValue = "1")
        double warmup;

        @Option(names = "--out", defaultValue = "bench/results/step_pieces.json")
        Path out;

        @Override
        public Integer call() {
            Benchmarks.stepPieces(parent.modelDir(), parent.threads, rows.stream().mapToInt(Integer::intValue).toArray(),
                    batches.stream().mapToInt(Integer::intValue).toArray(), rounds, calls, warmup, out,
                    RecordedCommandLine.of(spec));
            return 0;
        }
    }

    @Command(name = "state", mixinStandardHelpOptions = true,
            description = "Bytes of state per stream and per changelog record, float32 and float16, by stream length; "
                    + "the error float16 storage adds to bits per byte.")
    static final class State implements Callable<Integer> {
        @ParentCommand
        BenchCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--chunks", defaultValue = "256")
        int chunks;

        @Option(names = "--out", defaultValue = "bench/results/state.json")
        Path out;

        @Override
        public Integer call() throws Exception {
            Benchmarks.state(parent.modelDir(), chunks, out,
                    RecordedCommandLine.of(spec));
            return 0;
        }
    }
}
