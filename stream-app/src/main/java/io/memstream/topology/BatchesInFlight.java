package io.memstream.topology;

import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * One task's batches that are with the model ({@code batch.overlap}), oldest first, and their
 * streams, which the next batch passes over so that a stream's chunks still go one at a time.
 * Batches are started and applied on the stream thread; only the model's part
 * ({@link BatchStep#start}) runs elsewhere: the steps on the stream thread's step parts, one
 * batch's pieces queued behind the other's, generations on its model workers. The stream thread's
 * tasks share both.
 */
final class BatchesInFlight {

    /**
     * Each batch takes worker slots while it is with the model, as many as it keeps threads busy: a
     * split step every step part's, a smaller step one model worker's, and its generation, which runs
     * beside the step on another worker, one more (at most every slot). The task holds up to twice
     * the slots there are, one running and one waiting per slot, so the model does not idle between
     * batches: a step part goes on to the next batch's pieces as it finishes the last of this one's,
     * and a worker that finishes a small batch finds the next one queued instead of waiting for the
     * stream thread to apply a result and prepare another (at {@code batch.max.size=1} without
     * generation: four batches instead of two, and 1.14-1.53x the absorbed tokens/s in three
     * alternating rounds, {@code bench/results/inflight-slots}).
     */
    static final int BATCHES_PER_SLOT = 2;
    /**
     * A small step (at most {@link #SMALL_STEP_MAX_ROWS} rows, not split) without generation takes a
     * third of a slot, so that a task holds six of them per model worker (its two slots' worth). At
     * one row they take about 1.3 ms each on this machine's cores, and the workers ran out of them
     * while the stream thread committed (nine times a second at {@code commit.interval.ms=100},
     * several milliseconds each). Two per worker left 0.11-0.13 of the 2 cores idle warm at batch 1;
     * three gave the process 1.90-1.93 cores against 1.88-1.89 (docs/performance-runs.md, "Run T");
     * six gave the model 1.546-1.596 cores against 1.492-1.556 in every one of five alternating rounds,
     * three warm and two cold ("Run U", bench/results/run-u/six-per-slot). A single-row chunk then
     * waits behind at most five others on its worker, under 10 ms. Steps of more rows and generations,
     * which last far longer than a commit, keep two per slot: a third would add its whole time to every
     * chunk's latency.
     */
    private static final int THIRDS = 3;
    private static final int SMALL_STEP_THIRDS = 1;
    static final int SMALL_STEP_MAX_ROWS = 4;

    private record InFlight(BatchStep.Prepared batch, BatchStep.Running running, int thirds) {
        CompletableFuture<BatchStep.Computed> result() {
            return running.result();
        }
    }

    private final BatchStep step;
    private final ModelRuntime runtime;
    private final ArrayDeque<InFlight> batches = new ArrayDeque<>();
    private final Set<String> busy = new HashSet<>();
    /** Read on every drain, so once per record: one view, not a new one per call. */
    private final Set<String> busyView = Collections.unmodifiableSet(busy);
    /** The worker slots the batches with the model take, in thirds of a slot. */
    private int thirdsUsed;

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
        return thirdsUsed >= capacityThirds();
    }

    private int capacityThirds() {
        return BATCHES_PER_SLOT * THIRDS * runtime.modelWorkers();
    }

    /** Hands a batch to the calling (stream) thread's step parts and model workers. */
    void start(BatchStep.Prepared batch) {
        ModelSession session = runtime.sessionForCurrentThread();
        BatchStep.Running running = step.start(batch, session, runtime.workerForCurrentThread());
        int workers = runtime.modelWorkers();
        boolean split = session.splitsStep(batch.tokens().length);
        boolean small = !split && !running.generates() && batch.tokens().length <= SMALL_STEP_MAX_ROWS;
        int thirds = small ? SMALL_STEP_THIRDS
                : THIRDS * Math.min(workers, (split ? workers : 1) + (running.generates() ? 1 : 0));
        busy.addAll(batch.streamIds());
        batches.add(new InFlight(batch, running, thirds));
        thirdsUsed += thirds;
    }

    /** Applies the batches the worker has finished, oldest first, without waiting. */
    void applyFinished() {
        while (!batches.isEmpty() && batches.peek().result().isDone()) {
            applyOldest();
        }
    }

    /**
     * Makes room when the task's slots are full: waits until the oldest batches holding a third of
     * them are done, then applies every finished batch, oldest first (at least the oldest). Waiting
     * for one batch at a time put the stream thread to sleep and woke it once per batch, at batch 1
     * once per chunk, where its CPU per chunk was about twice batch 32's and half of the difference
     * outside Java frames; this wakes it once per four single-row batches on two model threads and
     * leaves the other two thirds queued for the model. At batch 1 the stream thread used 0.154-0.172
     * cores against 0.168-0.211, lower in four of five alternating rounds, and the model's threads
     * 1.534-1.585 against 1.491-1.582 (docs/performance-runs.md, "Run V"). A batch of more rows
     * takes a third on its own, so there this is waiting for the oldest, as before. A failed model
     * call throws.
     */
    void applyOldestThird() {
        awaitOldestThird();
        int before = batches.size();
        applyFinished();
        if (batches.size() == before) {
            applyOldest(); // the oldest is still running while a younger one finished
        }
    }

    /** Waits, without applying anything, until the oldest batches holding a third of the slots are done. */
    void awaitOldestThird() {
        int thirds = 0;
        for (InFlight f : batches) {
            thirds += f.thirds();
            if (THIRDS * thirds >= capacityThirds() || f == batches.peekLast()) {
                try {
                    f.result().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while the model ran a batch", e);
                } catch (ExecutionException | CancellationException e) {
                    // surfaces when the batch is applied, in its turn
                }
                return;
            }
        }
    }

    /** How many of the {@code n} oldest batches are done (tests). */
    long doneAmongOldest(int n) {
        return batches.stream().limit(n).filter(f -> f.result().isDone()).count();
    }

    /** Waits for the oldest batch and applies it. A failed model call throws. */
    void applyOldest() {
        InFlight f = batches.poll();
        thirdsUsed -= f.thirds();
        f.batch().streamIds().forEach(busy::remove);
        BatchStep.Computed computed;
        try {
            computed = f.result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the model ran a batch", e);
        } catch (ExecutionException e) {
            // CompletableFuture.get() hands over the failure itself, not wrapped in a CompletionException
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
        step.apply(f.batch(), computed);
    }

    /**
     * Drops every batch without applying it: their chunks are still in the pending store, and whoever
     * runs the task next absorbs them. What has not started is skipped; what is running ends on its
     * own (the model's calls touch no store), and the runtime waits for it before it closes sessions.
     */
    void dropAll() {
        batches.forEach(f -> f.running().cancel());
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
        thirdsUsed = 0;
    }
}
