package io.memstream.cli;

import io.memstream.bench.Benchmarks;
import io.memstream.config.MemstreamConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code memstream bench}: the benchmarks behind docs/PERFORMANCE.md. Each prints progress on stderr
 * and writes one JSON result; bench/run-all.sh runs them all and the Python baselines.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure throughput: the engine alone, end to end on a real broker, state size.",
        subcommands = {BenchCommand.Engine.class, BenchCommand.State.class})
final class BenchCommand implements Runnable {

    @Option(names = "--model", paramLabel = "DIR", defaultValue = MemstreamConfig.DEFAULT_MODEL_DIR,
            description = "Model directory (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                "a benchmark is needed: engine, e2e or state");
    }

    Path modelDir() {
        return MemstreamConfig.resolveModelDir(model);
    }

    List<String> commandLine(String sub, String... args) {
        List<String> c = new ArrayList<>(List.of("memstream", "bench", "--model", model, "--threads",
                Integer.toString(threads), sub));
        c.addAll(List.of(args));
        return c;
    }

    @Command(name = "engine", mixinStandardHelpOptions = true,
            description = "The model path alone (ModelSession over DJL/ONNX Runtime): step and decode tokens/s by batch size, "
                    + "cached decoding vs recomputation, batched vs one-stream-at-a-time generation.")
    static final class Engine implements Callable<Integer> {
        @ParentCommand
        BenchCommand parent;

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

        @Option(names = "--out", defaultValue = "bench/results/engine.json")
        Path out;

        @Override
        public Integer call() {
            Benchmarks.engine(parent.modelDir(), parent.threads,
                    new Benchmarks.EngineSettings(stepBatches, decodeBatches, newTokens, generationStreams, warmup,
                            measure, minReps), out,
                    parent.commandLine("engine", "--step-batches", join(stepBatches), "--decode-batches",
                            join(decodeBatches), "--new-tokens", Integer.toString(newTokens), "--generation-streams",
                            Integer.toString(generationStreams), "--warmup-s", Double.toString(warmup),
                            "--measure-s", Double.toString(measure), "--min-reps", Integer.toString(minReps),
                            "--out", out.toString()));
            return 0;
        }
    }

    @Command(name = "state", mixinStandardHelpOptions = true,
            description = "Bytes of state per stream and per changelog record, float32 and float16, by stream length; "
                    + "the error float16 storage adds to bits per byte.")
    static final class State implements Callable<Integer> {
        @ParentCommand
        BenchCommand parent;

        @Option(names = "--chunks", defaultValue = "256")
        int chunks;

        @Option(names = "--out", defaultValue = "bench/results/state.json")
        Path out;

        @Override
        public Integer call() throws Exception {
            Benchmarks.state(parent.modelDir(), chunks, out,
                    parent.commandLine("state", "--chunks", Integer.toString(chunks), "--out", out.toString()));
            return 0;
        }
    }

    static String join(List<Integer> values) {
        return String.join(",", values.stream().map(String::valueOf).toList());
    }
}
