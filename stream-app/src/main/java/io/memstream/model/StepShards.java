package io.memstream.model;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps split by rows into pieces that the model's part threads run, each through a predictor of its
 * own on the one-thread step sessions ({@link ModelRuntime#STEP_SHARD}). The rows are cut into pieces
 * ({@link OrtTuning#stepPieceRows}; by default 8 rows, else one per part) and the parts take pieces
 * from one queue, oldest step first, as they come free: a part whose thread the OS preempts (for the
 * stream thread, the Kafka clients, a broker on the same cores) takes fewer pieces instead of holding
 * the others up, and a part that has finished the last piece of one step starts on the next step's
 * instead of waiting for its partner to end (in the default end-to-end run the process used 1.81-1.83
 * of the 2 cores with a queue per step, 1.94-1.96 with one queue: bench/results/step-queue). Smaller calls are
 * also faster per row on this model: a piece's activations stay in the core's cache
 * ({@code memstream bench pieces}). Rows are independent in every graph, so the pieces' outputs, put
 * back in row order, are the whole batch's (tests check it to the bit), whichever part ran them.
 * Why parts: {@link OrtTuning}.
 *
 * <p>{@link #submit} may be called from any thread and returns at once; {@link #step} waits.
 */
final class StepShards implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StepShards.class);
    /** A step of fewer rows than this per part is not split: one call is then as fast. */
    static final int MIN_ROWS_PER_SHARD = 4;
    /** Tells a part thread to end. */
    private static final Piece STOP = new Piece(null, -1);

    /** One part's step: the session's own call, on the part's predictor and manager. */
    interface PartStep {
        StepOutput run(Predictor<NDList, NDList> predictor, NDManager manager, float[][][] states, int[][] tokens);
    }

    private final List<Predictor<NDList, NDList>> predictors = new ArrayList<>();
    private final List<NDManager> managers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final BlockingQueue<Piece> queue = new LinkedBlockingQueue<>();
    /** Wall time the part threads have spent waiting for a piece, summed: the model idle for want of work. */
    private final AtomicLong waitingNanos = new AtomicLong();
    private final PartStep part;
    private final int parts;
    private final int pieceRows;
    private volatile boolean closed;

    StepShards(ModelRuntime runtime, PartStep part) {
        this.part = part;
        this.parts = runtime.stepShards();
        this.pieceRows = runtime.stepPieceRows();
        var graph = runtime.graph(ModelRuntime.STEP_SHARD);
        String owner = Thread.currentThread().getName();
        for (int i = 0; i < parts; i++) {
            predictors.add(graph.newPredictor(new NoopTranslator()));
            managers.add(graph.getNDManager().newSubManager());
            int p = i;
            Thread t = new Thread(() -> takePieces(p), "memstream-step-part-" + i + "-of-" + owner);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    /**
     * Wall time the part threads have spent waiting for a piece since they started, summed over the
     * parts (so up to the parts times the wall time): what the model idled for want of work.
     */
    long waitingNanos() {
        return waitingNanos.get();
    }

    /** Whether a step of {@code rows} rows is worth splitting. */
    boolean splits(int rows) {
        return splits(parts, pieceRows, rows);
    }

    /** Whether a step of {@code rows} rows is worth splitting into {@code parts} parts and pieces of {@code pieceRows}. */
    static boolean splits(int parts, int pieceRows, int rows) {
        return rows >= parts * MIN_ROWS_PER_SHARD && pieces(parts, pieceRows, rows) > 1;
    }

    /**
     * How many pieces a step of {@code b} rows is cut into: one per part, or as many of about
     * {@code pieceRows} rows as make a multiple of the parts (so that an even share fits).
     */
    int pieces(int b) {
        return pieces(parts, pieceRows, b);
    }

    private static int pieces(int parts, int pieceRows, int b) {
        return pieceRows == OrtTuning.WHOLE_PARTS ? parts : parts * Math.max(1, b / (parts * pieceRows));
    }

    /** Runs a step on the parts and waits for it; a failed piece's exception is thrown here. */
    StepOutput step(float[][][] states, int[][] tokens) {
        try {
            return submit(states, tokens).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /**
     * Queues a step's pieces behind those of steps submitted before it and returns at once. The
     * result's {@link StepOutput#millis()} is the time from its first piece's start to its last one's
     * end, without the wait in the queue. Cancelling the future skips the pieces no part has started.
     */
    CompletableFuture<StepOutput> submit(float[][][] states, int[][] tokens) {
        if (closed) {
            throw new IllegalStateException("the model's step parts are closed");
        }
        Call call = new Call(states, tokens, pieces(tokens.length));
        for (int i = 0; i < call.outs.length; i++) {
            queue.add(new Piece(call, i));
        }
        return call;
    }

    /** Part {@code p}'s thread: the oldest piece not yet taken, until closed. */
    private void takePieces(int p) {
        while (true) {
            Piece piece;
            long waitFrom = System.nanoTime();
            try {
                piece = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            waitingNanos.addAndGet(System.nanoTime() - waitFrom);
            if (piece == STOP) {
                return;
            }
            piece.call.run(piece.index, closed, () -> runPiece(p, piece.index, piece.call));
        }
    }

    /** Piece i of a call, on part p's predictor: rows [i * b / pieces, (i + 1) * b / pieces). */
    private StepOutput runPiece(int p, int i, Call call) {
        int pieces = call.outs.length;
        int from = (int) ((long) i * call.tokens.length / pieces);
        int to = (int) ((long) (i + 1) * call.tokens.length / pieces);
        return part.run(predictors.get(p), managers.get(p), Arrays.copyOfRange(call.states, from, to),
                Arrays.copyOfRange(call.tokens, from, to));
    }

    /**
     * Ends the part threads after the piece each is running (pieces still queued are skipped and
     * their steps fail), then closes the predictors.
     */
    @Override
    public void close() {
        closed = true;
        for (int i = 0; i < threads.size(); i++) {
            queue.add(STOP);
        }
        // Queued pieces are taken before the STOPs and skipped (closed), so every call completes.
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(30));
                if (t.isAlive()) {
                    log.warn("step part {} did not finish its piece within 30 s; closing its session anyway", t.getName());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        managers.forEach(NDManager::close);
        predictors.forEach(Predictor::close);
    }

    private record Piece(Call call, int index) { }

    /**
     * One submitted step: its pieces' outputs as they come, and itself the future of the whole. The
     * last piece to end, run or skipped, completes it.
     */
    private static final class Call extends CompletableFuture<StepOutput> {
        private final float[][][] states;
        private final int[][] tokens;
        private final StepOutput[] outs;
        private final AtomicInteger left;
        private final AtomicLong firstStart = new AtomicLong();
        private volatile Throwable failure;

        Call(float[][][] states, int[][] tokens, int pieces) {
            this.states = states;
            this.tokens = tokens;
            this.outs = new StepOutput[pieces];
            this.left = new AtomicInteger(pieces);
        }

        /** Runs piece {@code i} with {@code work}, or skips it (the parts closed, or the call already failed or was cancelled). */
        void run(int i, boolean closed, Supplier<StepOutput> work) {
            if (!closed && !isDone() && failure == null) {
                firstStart.compareAndSet(0, System.nanoTime());
                try {
                    outs[i] = work.get();
                } catch (RuntimeException | Error e) {
                    failure = e;
                }
            } else if (failure == null && !isDone()) {
                failure = new IllegalStateException("the model's step parts were closed before this step ran");
            }
            if (left.decrementAndGet() == 0) {
                finish();
            }
        }

        private void finish() {
            if (failure != null) {
                completeExceptionally(failure);
                return;
            }
            if (isDone()) {
                return; // cancelled: its skipped pieces have no outputs
            }
            int b = tokens.length;
            double[] bits = new double[b];
            float[][][] next = new float[b][][];
            int row = 0;
            for (StepOutput o : outs) {
                System.arraycopy(o.bits(), 0, bits, row, o.bits().length);
                System.arraycopy(o.nextState(), 0, next, row, o.nextState().length);
                row += o.bits().length;
            }
            complete(new StepOutput(bits, next, (System.nanoTime() - firstStart.get()) / 1e6));
        }
    }
}
