package io.memstream.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.Locale;

/**
 * ONNX Runtime session settings, chosen by measurement ({@code memstream bench ort}, figures in
 * docs/PERFORMANCE.md): every session gets its own intra-op pool of {@code model.threads} threads
 * with spinning off. Spinning pool threads burn the cores that other sessions, the other stream
 * threads, RocksDB and Kafka's clients need; measured on the shared 2-core machine, spinning made
 * batch 32 1.4-2.2x and two concurrent sessions 1.3-1.8x slower, and batch 1 no faster. DJL cannot turn
 * spinning off for its one global pool, which is why the pools are per session.
 *
 * <p>On CPU a {@code step} of enough rows is split into {@code stepShards} parts that run at once,
 * each on a session of its own with one thread ({@link StepShards}), rather than one call whose
 * every operator forks and joins over the pool: the model's many small element-wise operators leave
 * a pool's threads waiting on each other. Measured at batch 32 on 2 cores (docs/PERFORMANCE.md,
 * "Run F"), two shards on one thread each took 0.64-0.68x the time of one call on two threads, with
 * outputs identical to the bit.
 *
 * <p>{@code decode} (one token per row and call) runs on CPU sessions of {@code decodeThreads}
 * threads, by default as many as one step part has (one with the defaults): its calls are smaller
 * still, and on 2 cores a one-thread session took 0.75-0.80x / 0.73-0.81x / 0.82-0.88x the time of a two-thread one
 * at batch 1 / 8 / 32 ({@code bench/decode-threads.sh}, docs/PERFORMANCE.md, "Run G").
 *
 * @param optimization graph optimisation level
 * @param spinning whether idle pool threads spin for work (only worth it on dedicated cores)
 * @param stepShards parts a CPU step is split into; {@link #AUTO_SHARDS} for one per model thread
 * @param decodeThreads intra-op threads of the CPU decode sessions; {@link #AUTO_DECODE_THREADS} for
 *     those of one step part
 */
public record OrtTuning(OrtSession.SessionOptions.OptLevel optimization, boolean spinning, int stepShards,
                        int decodeThreads) {

    /** As many step shards as model threads. */
    public static final int AUTO_SHARDS = 0;
    /** Decode on as many threads as one step part. */
    public static final int AUTO_DECODE_THREADS = 0;

    /** The measured choice: all graph optimisations, no spinning, a step shard per model thread. */
    public static final OrtTuning DEFAULT = new OrtTuning(OrtSession.SessionOptions.OptLevel.ALL_OPT, false, AUTO_SHARDS,
            AUTO_DECODE_THREADS);

    public OrtTuning {
        if (stepShards < 0) {
            throw new IllegalArgumentException("step shards must be at least 1 (or 0 for one per model thread), got "
                    + stepShards);
        }
        if (decodeThreads < 0) {
            throw new IllegalArgumentException("decode threads must be at least 1 (or 0 for a step part's), got "
                    + decodeThreads);
        }
    }

    public OrtTuning(OrtSession.SessionOptions.OptLevel optimization, boolean spinning, int stepShards) {
        this(optimization, spinning, stepShards, AUTO_DECODE_THREADS);
    }

    public OrtTuning(OrtSession.SessionOptions.OptLevel optimization, boolean spinning) {
        this(optimization, spinning, AUTO_SHARDS);
    }

    /** The CPU decode sessions' threads for {@code threads} model threads: never more than those. */
    public int decodeThreadsFor(int threads) {
        int t = Math.max(1, threads);
        return decodeThreads == AUTO_DECODE_THREADS ? Math.max(1, t / shardsFor(t)) : Math.min(decodeThreads, t);
    }

    /** The step shards for {@code threads} model threads: never more shards than threads. */
    public int shardsFor(int threads) {
        int t = Math.max(1, threads);
        return stepShards == AUTO_SHARDS ? t : Math.min(stepShards, t);
    }

    /** {@code basic}, {@code extended} or {@code all} (also ORT's own names, e.g. {@code ALL_OPT}). */
    public static OrtSession.SessionOptions.OptLevel parseOptimization(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        return switch (v) {
            case "NONE", "NO_OPT" -> OrtSession.SessionOptions.OptLevel.NO_OPT;
            case "BASIC", "BASIC_OPT" -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
            case "EXTENDED", "EXTENDED_OPT" -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
            case "ALL", "ALL_OPT" -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            default -> throw new IllegalArgumentException("must be one of none|basic|extended|all, got '" + value + "'");
        };
    }

    /** Options for one session; the caller closes them after the session. */
    OrtSession.SessionOptions sessionOptions(int intraOpThreads) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setOptimizationLevel(optimization);
        so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        so.setIntraOpNumThreads(Math.max(1, intraOpThreads));
        so.setInterOpNumThreads(1);
        so.addConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
        so.addConfigEntry("session.inter_op.allow_spinning", spinning ? "1" : "0");
        return so;
    }
}
