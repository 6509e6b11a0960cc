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
 * <p>The rows of a split step are cut into pieces of {@code stepPieceRows} rows, which the parts take
 * as they come free ({@link StepShards}): a piece's activations stay in the core's cache, and a part
 * that is preempted takes fewer pieces. With one model thread the pieces run one after another.
 *
 * <p>{@code decode} (one token per row and call) runs on CPU sessions of {@code decodeThreads}
 * threads, by default as many as one step part has (one with the defaults): its calls are smaller
 * still, and on 2 cores a one-thread session took 0.75-0.80x / 0.73-0.81x / 0.82-0.88x the time of a two-thread one
 * at batch 1 / 8 / 32 ({@code bench/decode-threads.sh}, docs/performance-runs.md, "Run G").
 *
 * @param optimization graph optimisation level
 * @param spinning whether idle pool threads spin for work (only worth it on dedicated cores)
 * @param stepShards parts a CPU step is split into; {@link #AUTO_SHARDS} for one per model thread
 * @param decodeThreads intra-op threads of the CPU decode sessions; {@link #AUTO_DECODE_THREADS} for
 *     those of one step part
 * @param stepPieceRows rows of each piece a CPU step is cut into, which the parts take as they come
 *     free ({@link StepShards}); {@link #WHOLE_PARTS} for one piece per part
 */
public record OrtTuning(OrtSession.SessionOptions.OptLevel optimization, boolean spinning, int stepShards,
                        int decodeThreads, int stepPieceRows) {

    /** As many step shards as model threads. */
    public static final int AUTO_SHARDS = 0;
    /** Decode on as many threads as one step part. */
    public static final int AUTO_DECODE_THREADS = 0;
    /** A step part's rows in one piece: no cutting. */
    public static final int WHOLE_PARTS = 0;
    /**
     * The measured choice of rows per step piece: against one piece per part, on 2 cores, 0.98x the
     * time at batch 32 on two threads and 0.81x at batch 128; 0.89x at batch 32 on one thread
     * ({@code bench/step-pieces.sh}, docs/performance-runs.md, "Run I"). 4 and 2 rows were slower than 8.
     */
    public static final int DEFAULT_STEP_PIECE_ROWS = 8;

    /** The measured choice: all graph optimisations, no spinning, a step shard per model thread, pieces of 8 rows. */
    public static final OrtTuning DEFAULT = new OrtTuning(OrtSession.SessionOptions.OptLevel.ALL_OPT, false, AUTO_SHARDS,
            AUTO_DECODE_THREADS, DEFAULT_STEP_PIECE_ROWS);

    public OrtTuning {
        if (stepShards < 0) {
            throw new IllegalArgumentException("step shards must be at least 1 (or 0 for one per model thread), got "
                    + stepShards);
        }
        if (decodeThreads < 0) {
            throw new IllegalArgumentException("decode threads must be at least 1 (or 0 for a step part's), got "
                    + decodeThreads);
        }
        if (stepPieceRows < 0) {
            throw new IllegalArgumentException("step piece rows must be at least 1 (or 0 for one piece per part), got "
                    + stepPieceRows);
        }
    }

    public OrtTuning(OrtSession.SessionOptions.OptLevel optimization, boolean spinning, int stepShards,
                     int decodeThreads) {
        this(optimization, spinning, stepShards, decodeThreads, DEFAULT_STEP_PIECE_ROWS);
    }

    /** The same settings with {@code rows} rows per step piece. */
    public OrtTuning withStepPieceRows(int rows) {
        return new OrtTuning(optimization, spinning, stepShards, decodeThreads, rows);
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
