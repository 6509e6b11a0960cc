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

/**
 * A step split by rows into parts that run at once, each through a predictor of its own on the
 * one-thread step sessions ({@link ModelRuntime#STEP_SHARD}); part 0 on the calling thread, the
 * others on a thread each that lives as long as this. Rows are independent in every graph, so the
 * parts' outputs, put back in row order, are the whole batch's (tests check it to the bit). Why:
 * {@link OrtTuning}. One per {@link ModelSession}, so, like it, not for concurrent callers.
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

    StepShards(ModelRuntime runtime, PartStep part) {
        this.part = part;
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
        return rows >= predictors.size() * MIN_ROWS_PER_SHARD;
    }

    StepOutput step(float[][][] states, int[][] tokens) {
        int b = tokens.length;
        int parts = predictors.size();
        List<Future<StepOutput>> others = new ArrayList<>(parts - 1);
        for (int i = 1; i < parts; i++) {
            int p = i;
            others.add(threads.get(i - 1).submit(() -> runPart(p, states, tokens)));
        }
        List<StepOutput> outs = new ArrayList<>(parts);
        RuntimeException failure = null;
        try {
            outs.add(runPart(0, states, tokens));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<StepOutput> f : others) { // every part ends before this returns, also on failure
            try {
                outs.add(f.get());
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
        float[][][] next = new float[b][][];
        int row = 0;
        for (StepOutput o : outs) {
            System.arraycopy(o.bits(), 0, bits, row, o.bits().length);
            System.arraycopy(o.nextState(), 0, next, row, o.nextState().length);
            row += o.bits().length;
        }
        return new StepOutput(bits, next);
    }

    /** Part i of parts: rows [i * b / parts, (i + 1) * b / parts). */
    private StepOutput runPart(int i, float[][][] states, int[][] tokens) {
        int parts = predictors.size();
        int from = (int) ((long) i * tokens.length / parts);
        int to = (int) ((long) (i + 1) * tokens.length / parts);
        return part.run(predictors.get(i), managers.get(i), Arrays.copyOfRange(states, from, to),
                Arrays.copyOfRange(tokens, from, to));
    }

    @Override
    public void close() {
        threads.forEach(ExecutorService::shutdownNow);
        managers.forEach(NDManager::close);
        predictors.forEach(Predictor::close);
    }
}
