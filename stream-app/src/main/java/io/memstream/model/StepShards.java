package io.memstream.model;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A step split by rows into parts that run at once, each through a predictor of its own on the
 * one-thread step sessions ({@link ModelRuntime#STEP_SHARD}); part 0 on the calling thread, the
 * others on a thread each that lives as long as this. The rows are cut into pieces
 * ({@link OrtTuning#stepPieceRows}; by default 8 rows, else one per part) and each part takes the
 * next piece not yet taken until none is left, so a part whose thread the OS preempts (for the stream
 * thread, the Kafka clients, a broker on the same cores) takes fewer pieces instead of holding the
 * others up at the end of the step; with one model thread the pieces run one after another. Smaller
 * calls are also faster per row on this model: a piece's activations stay in the core's cache
 * ({@code memstream bench pieces}). Rows are independent in every graph, so the pieces' outputs, put
 * back in row order, are the whole batch's (tests check it to the bit), whichever part ran them.
 * Why parts: {@link OrtTuning}. One per {@link ModelSession}, so, like it, not for concurrent callers.
 */
final class StepShards implements AutoCloseable {

    /** A step of fewer rows than this per part is not split: one call is then as fast. */
    static final int MIN_ROWS_PER_SHARD = 4;

    /** One part's step: the session's own call, on the part's predictor and manager. */
    interface PartStep {
        StepOutput run(Predictor<NDList, NDList> predictor, NDManager manager, float[][][] states, int[][] tokens);
    }

    private final List<Predictor<NDList, NDList>> predictors = new ArrayList<>();
    private final List<NDManager> managers = new ArrayList<>();
    private final List<ExecutorService> threads = new ArrayList<>();
    private final PartStep part;
    private final int pieceRows;

    StepShards(ModelRuntime runtime, PartStep part) {
        this.part = part;
        this.pieceRows = runtime.stepPieceRows();
        var graph = runtime.graph(ModelRuntime.STEP_SHARD);
        for (int i = 0; i < runtime.stepShards(); i++) {
            predictors.add(graph.newPredictor(new NoopTranslator()));
            managers.add(graph.getNDManager().newSubManager());
            if (i > 0) {
                String name = "memstream-step-part-" + i + "-of-" + Thread.currentThread().getName();
                threads.add(Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                }));
            }
        }
    }

    /** Whether a step of {@code rows} rows is worth splitting. */
    boolean splits(int rows) {
        return rows >= predictors.size() * MIN_ROWS_PER_SHARD && pieces(rows) > 1;
    }

    /**
     * How many pieces a step of {@code b} rows is cut into: one per part, or as many of about
     * {@code pieceRows} rows as make a multiple of the parts (so that an even share fits).
     */
    int pieces(int b) {
        int parts = predictors.size();
        return pieceRows == OrtTuning.WHOLE_PARTS ? parts : parts * Math.max(1, b / (parts * pieceRows));
    }

    StepOutput step(float[][][] states, int[][] tokens) {
        int b = tokens.length;
        int parts = predictors.size();
        int pieces = pieces(b);
        StepOutput[] outs = new StepOutput[pieces];
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> others = new ArrayList<>(parts - 1);
        for (int i = 1; i < parts; i++) {
            int p = i;
            others.add(threads.get(i - 1).submit(() -> takePieces(p, next, outs, states, tokens)));
        }
        RuntimeException failure = null;
        try {
            takePieces(0, next, outs, states, tokens);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : others) { // every part ends before this returns, also on failure
            try {
                f.get();
            } catch (ExecutionException e) {
                failure = failure != null ? failure
                        : e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = failure != null ? failure : new IllegalStateException("interrupted in a split step", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
        double[] bits = new double[b];
        float[][][] nextStates = new float[b][][];
        int row = 0;
        for (StepOutput o : outs) {
            System.arraycopy(o.bits(), 0, bits, row, o.bits().length);
            System.arraycopy(o.nextState(), 0, nextStates, row, o.nextState().length);
            row += o.bits().length;
        }
        return new StepOutput(bits, nextStates);
    }

    /**
     * Part {@code p}'s loop: the next piece not yet taken, until none is left. A part whose thread the
     * OS preempted takes fewer pieces rather than holding the others up at the end of the step.
     */
    private void takePieces(int p, AtomicInteger next, StepOutput[] outs, float[][][] states, int[][] tokens) {
        int pieces = outs.length;
        for (int i = next.getAndIncrement(); i < pieces; i = next.getAndIncrement()) {
            try {
                outs[i] = runPiece(p, i, pieces, states, tokens);
            } catch (RuntimeException e) {
                next.set(pieces); // the step fails: the other parts take no more pieces
                throw e;
            }
        }
    }

    /** Piece i of pieces, on part p's predictor: rows [i * b / pieces, (i + 1) * b / pieces). */
    private StepOutput runPiece(int p, int i, int pieces, float[][][] states, int[][] tokens) {
        int from = (int) ((long) i * tokens.length / pieces);
        int to = (int) ((long) (i + 1) * tokens.length / pieces);
        return part.run(predictors.get(p), managers.get(p), Arrays.copyOfRange(states, from, to),
                Arrays.copyOfRange(tokens, from, to));
    }

    @Override
    public void close() {
        threads.forEach(ExecutorService::shutdownNow);
        managers.forEach(NDManager::close);
        predictors.forEach(Predictor::close);
    }
}
