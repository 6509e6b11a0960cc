package io.memstream.topology;

import io.memstream.model.ModelRuntime;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * One task's batches that are with the model worker ({@code batch.overlap}), oldest first, and
 * their streams, which the next batch passes over so that a stream's chunks still go one at a time.
 * Batches are started and applied on the stream thread; only the model's part
 * ({@link BatchStep#compute}) runs on the worker, the stream thread's own, shared by its tasks.
 */
final class BatchesInFlight {

    /** One running and one waiting, so the worker does not idle between them. */
    static final int MAX = 2;

    private record InFlight(BatchStep.Prepared batch, Future<BatchStep.Computed> result) { }

    private final BatchStep step;
    private final ModelRuntime runtime;
    private final ArrayDeque<InFlight> batches = new ArrayDeque<>();
    private final Set<String> busy = new HashSet<>();
    /** Read on every drain, so once per record: one view, not a new one per call. */
    private final Set<String> busyView = Collections.unmodifiableSet(busy);

    BatchesInFlight(BatchStep step, ModelRuntime runtime) {
        this.step = step;
        this.runtime = runtime;
    }

    /** Streams of the batches with the worker. */
    Set<String> busy() {
        return busyView;
    }

    boolean isEmpty() {
        return batches.isEmpty();
    }

    boolean isFull() {
        return batches.size() >= MAX;
    }

    /** Hands a batch to the calling (stream) thread's model worker. */
    void start(BatchStep.Prepared batch) {
        busy.addAll(batch.streamIds());
        batches.add(new InFlight(batch, runtime.workerForCurrentThread()
                .submit(() -> step.compute(batch, runtime.sessionForCurrentThread()))));
    }

    /** Applies the batches the worker has finished, oldest first, without waiting; returns queues emptied. */
    int applyFinished() {
        int emptied = 0;
        while (!batches.isEmpty() && batches.peek().result().isDone()) {
            emptied += applyOldest();
        }
        return emptied;
    }

    /** Waits for the oldest batch and applies it; returns queues emptied. A failed model call throws. */
    int applyOldest() {
        InFlight f = batches.poll();
        f.batch().streamIds().forEach(busy::remove);
        BatchStep.Computed computed;
        try {
            computed = f.result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the model ran a batch", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
        return step.apply(f.batch(), computed);
    }

    /**
     * Drops every batch without applying it: their chunks are still in the pending store, and whoever
     * runs the task next absorbs them. Waits for the running one, which keeps the worker off the
     * model's sessions once the app closes them.
     */
    void dropAll() {
        batches.forEach(f -> f.result().cancel(false));
        for (InFlight f : batches) {
            try {
                f.result().get();
            } catch (CancellationException | ExecutionException e) {
                // dropped either way
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        batches.clear();
        busy.clear();
    }
}
