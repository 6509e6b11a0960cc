package io.memstream.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A batch's generation split by rows into parts that run at once: part 0 on the calling session,
 * each other part on a thread of its own with a session of its own (prefill and decode predictors),
 * every part's prefill on a session of a part's threads ({@link ModelRuntime#PREFILL_PART}).
 * Decoding is a sequence of small calls, one token for every row at a time, on one-thread decode
 * sessions ({@link OrtTuning#decodeThreadsFor}): one such sequence keeps one core busy, so on CPU a
 * batch's rows are shared out over as many sequences as the model has threads, as a step's rows are
 * ({@link StepShards}). Rows are independent (each has its own sampler, seeded by its request), so the
 * parts' generations, put back in row order, are the whole batch's.
 */
final class GenerationParts implements AutoCloseable {

    /** A generation of fewer rows than this per part is not split. */
    static final int MIN_ROWS_PER_PART = 4;

    private final List<ModelSession> helpers = new ArrayList<>();
    private final List<ExecutorService> threads = new ArrayList<>();

    GenerationParts(ModelRuntime runtime, int parts) {
        String owner = Thread.currentThread().getName();
        for (int i = 1; i < parts; i++) {
            helpers.add(new ModelSession(runtime)); // its parts run generateHere only: it never splits
            String name = "memstream-generate-part-" + i + "-of-" + owner;
            threads.add(Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            }));
        }
    }

    /** Whether a generation of {@code rows} rows is split into {@code parts} parts. */
    static boolean splits(int parts, int rows) {
        return parts > 1 && rows >= parts * MIN_ROWS_PER_PART;
    }

    /** The generation of every row, part 0 on {@code caller}; waits for every part, also when one fails. */
    List<Generation> generate(ModelSession caller, float[][][] states, int[][] tokens, List<GenerationSpec> specs) {
        int b = tokens.length;
        int parts = helpers.size() + 1;
        List<Future<List<Generation>>> others = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) {
            int from = from(p, parts, b);
            int to = from(p + 1, parts, b);
            ModelSession helper = helpers.get(p - 1);
            others.add(threads.get(p - 1).submit(() -> helper.generateHere(Arrays.copyOfRange(states, from, to),
                    Arrays.copyOfRange(tokens, from, to), specs.subList(from, to), true)));
        }
        List<Generation> out = new ArrayList<>(b);
        RuntimeException failure = null;
        try {
            int to = from(1, parts, b);
            out.addAll(caller.generateHere(Arrays.copyOfRange(states, 0, to), Arrays.copyOfRange(tokens, 0, to),
                    specs.subList(0, to), true));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<List<Generation>> f : others) {
            try {
                out.addAll(f.get());
            } catch (ExecutionException e) {
                failure = failure != null ? failure
                        : e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = failure != null ? failure : new IllegalStateException("interrupted in a split generation", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
        return out;
    }

    /** First row of part p of parts over b rows. */
    private static int from(int p, int parts, int b) {
        return (int) ((long) p * b / parts);
    }

    @Override
    public void close() {
        threads.forEach(ExecutorService::shutdown);
        for (ExecutorService t : threads) {
            try {
                t.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        helpers.forEach(ModelSession::close);
    }
}
