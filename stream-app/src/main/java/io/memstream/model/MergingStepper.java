package io.memstream.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One {@code step} session shared by every stream thread of the JVM, merging the batches that
 * arrive while a call is running into the next call (a combining lock: no extra thread). The thread
 * that gets to run the next call waits up to {@link #MERGE_WAIT_NANOS} for the other threads that
 * used the session recently (only they are expected), so that two stream threads in step merge
 * instead of taking turns; a thread alone never waits. On a GPU one large call beats several small
 * concurrent ones; on CPU it is measured by {@code memstream bench engine} and {@code e2e}.
 *
 * <p>Outputs are byte-identical to unmerged calls: rows are independent in the model contract, and
 * only requests padded to the same length are merged, so every row is computed over exactly the
 * same input tensor row as it would be alone.
 */
public final class MergingStepper implements AutoCloseable {

    /** A caller's batch: its rows go into one merged call; the result is sliced back out. */
    private static final class Request {
        final float[][][] states;
        final int[][] tokens;
        final int paddedLength;
        StepOutput result;
        RuntimeException failure;
        boolean done;

        Request(float[][][] states, int[][] tokens) {
            this.states = states;
            this.tokens = tokens;
            int len = 1;
            for (int[] row : tokens) {
                len = Math.max(len, row.length);
            }
            this.paddedLength = len;
        }
    }

    /** Longest wait for other threads' batches before a call: small next to a batch's model time. */
    static final long MERGE_WAIT_NANOS = 1_000_000;
    /** A thread that stepped within this long is expected to come back (it is a stream thread in use). */
    private static final long ACTIVE_NANOS = 200_000_000;

    private final ModelSession session;
    /** Last step time per thread: who may be about to submit a batch worth waiting for. */
    private final java.util.Map<Thread, Long> lastSeen = new java.util.concurrent.ConcurrentHashMap<>();
    private final int maxRows;
    /** Held while a merged call runs; whoever takes it next runs everything queued meanwhile. */
    private final ReentrantLock call = new ReentrantLock();
    private final List<Request> queue = new ArrayList<>();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();

    /** @param maxRows most rows in one merged call (requests larger than this still run, alone) */
    MergingStepper(ModelSession session, int maxRows) {
        this.session = session;
        this.maxRows = Math.max(1, maxRows);
    }

    /** As {@link ModelSession#step}, possibly merged with other threads' concurrent batches. */
    public StepOutput step(float[][][] states, int[][] tokens) {
        Request mine = new Request(states, tokens);
        synchronized (queue) {
            queue.add(mine);
            queue.notifyAll();
        }
        lastSeen.put(Thread.currentThread(), System.nanoTime());
        requests.incrementAndGet();
        call.lock();
        try {
            // While we waited, the previous holder may have run our rows with its own.
            while (!mine.done) {
                runQueued(mine);
            }
        } finally {
            call.unlock();
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
        return mine.result;
    }

    /** Runs {@code first} together with the queued requests of the same padded length, up to maxRows. */
    private void runQueued(Request first) {
        List<Request> merged = new ArrayList<>();
        int rows = 0;
        synchronized (queue) {
            awaitOthers(first);
            queue.remove(first);
            merged.add(first);
            rows = first.tokens.length;
            for (var it = queue.iterator(); it.hasNext(); ) {
                Request r = it.next();
                if (r.paddedLength == first.paddedLength && rows + r.tokens.length <= maxRows) {
                    it.remove();
                    merged.add(r);
                    rows += r.tokens.length;
                }
            }
        }
        float[][][] states = new float[rows][][];
        int[][] tokens = new int[rows][];
        int at = 0;
        for (Request r : merged) {
            System.arraycopy(r.states, 0, states, at, r.tokens.length);
            System.arraycopy(r.tokens, 0, tokens, at, r.tokens.length);
            at += r.tokens.length;
        }
        calls.incrementAndGet();
        try {
            StepOutput out = session.step(states, tokens);
            at = 0;
            for (Request r : merged) {
                int n = r.tokens.length;
                double[] bits = new double[n];
                float[][][] next = new float[n][][];
                System.arraycopy(out.bits(), at, bits, 0, n);
                System.arraycopy(out.nextState(), at, next, 0, n);
                r.result = new StepOutput(bits, next);
                at += n;
            }
        } catch (RuntimeException e) {
            merged.forEach(r -> r.failure = e);
        } finally {
            merged.forEach(r -> r.done = true);
        }
    }

    /**
     * Waits (holding the queue's monitor, released while waiting) until every other recently active
     * thread has queued a batch of the same padded length, or the merge wait has passed.
     */
    private void awaitOthers(Request first) {
        long now = System.nanoTime();
        // Forget threads that stopped stepping or died (stream threads come and go with rebalances).
        lastSeen.entrySet().removeIf(e -> now - e.getValue() >= ACTIVE_NANOS || !e.getKey().isAlive());
        long expected = lastSeen.keySet().stream().filter(t -> t != Thread.currentThread()).count();
        long deadline = now + MERGE_WAIT_NANOS;
        while (expected > 0) {
            long queued = queue.stream().filter(r -> r != first && r.paddedLength == first.paddedLength).count();
            long left = deadline - System.nanoTime();
            if (queued >= expected || left <= 0) {
                return;
            }
            try {
                queue.wait(left / 1_000_000, (int) (left % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Model calls made so far. */
    public long calls() {
        return calls.get();
    }

    /** Batches submitted so far; {@code requests() - calls()} of them were merged into another's call. */
    public long requests() {
        return requests.get();
    }

    @Override
    public void close() {
        call.lock();
        try {
            session.close();
        } finally {
            call.unlock();
        }
    }
}
