package io.memstream.topology;

import io.memstream.model.ModelRuntime;
import io.memstream.schema.Continuation;
import io.memstream.schema.MemoryState;
import io.memstream.schema.PendingChunk;
import io.memstream.schema.PendingStream;
import io.memstream.schema.TokenChunk;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.TaskCorruptedException;
import org.apache.kafka.streams.errors.TaskMigratedException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * Admits chunks into the {@code pending} store and drains it in batched model calls: when
 * {@code batch.max.size} streams are waiting, and from a wall-clock punctuator every
 * {@code batch.max.wait.ms} unless full batches ran since its previous tick. Also evicts idle
 * memories. One instance per task.
 *
 * <p>With {@code batch.overlap} (the default) a batch runs on the stream thread's model worker while
 * the stream thread goes on: it polls, queues the next chunks and commits, which left the model idle
 * 16-24% of the time when they took turns (docs/performance-runs.md, "Run G"). Per task, one batch running
 * and one waiting per worker slot are with the model ({@link BatchesInFlight}), and their streams are
 * passed over when the next batch is taken. Results are applied on the stream thread, oldest first; until then the
 * chunks stay in the changelogged pending store, so a commit or a crash in between loses nothing
 * and absorbs nothing twice. The batch punctuator does not wait for the batches it starts either:
 * it marks what is queued, and the collecting punctuator, every 5 ms, applies what has finished and
 * starts what is left of the marked chunks, so the stream thread polls, commits and serves its other
 * tasks while a partial batch (or a generation) runs.
 */
final class MemoryProcessor implements Processor<String, TokenChunk, String, Continuation> {

    /** A punctuation drains at most this long, well inside the producer's 10 s transaction timeout. */
    private static final long DRAIN_BUDGET_NANOS = Duration.ofSeconds(2).toNanos();
    /** batch.merge: a merged call takes the full batches of up to this many stream threads. */
    private static final int MERGE_MAX_THREADS = 8;
    /** batch.overlap: how often a finished batch is looked for while no record arrives. */
    private static final Duration COLLECT_EVERY = Duration.ofMillis(5);

    private final TopologyConfig config;
    private final ModelRuntime runtime;
    private final TopologyMetrics metrics;
    private ProcessorContext<String, Continuation> context;
    private MemoryStates memory;
    private PendingQueue pending;
    private MemoryCodec codec;
    private ChunkAdmission admission;
    private BatchStep step;
    /** Full batches run from process(), and their count at the punctuator's previous tick. */
    private long fullBatches;
    private long fullBatchesAtLastTick;
    /** batch.overlap: the batches with the model worker. */
    private BatchesInFlight inFlight;
    /**
     * batch.overlap: the chunks the last tick asked to run, partial batches too, by stream (those
     * below each mark, {@link PendingQueue#marks}); the collector runs them as the worker has room.
     */
    private Map<String, Long> marked = Map.of();

    MemoryProcessor(TopologyConfig config, ModelRuntime runtime, TopologyMetrics metrics) {
        this.config = config;
        this.runtime = runtime;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Continuation> context) {
        this.context = context;
        this.codec = new MemoryCodec(runtime.manifest(), runtime.initialState(), config.fingerprintMismatch(),
                config.stateDtype());
        this.memory = new MemoryStates(context.getStateStore(MemstreamTopology.MEMORY_STORE),
                MemoryStates.entriesFor(config.memoryCacheMaxBytes(), codec.valueBytes()));
        this.pending = new PendingQueue(context.getStateStore(MemstreamTopology.PENDING_STORE),
                context.getStateStore(MemstreamTopology.PENDING_CHUNKS_STORE));
        this.admission = new ChunkAdmission(runtime.tokenizer(), runtime.manifest().chunkLength());
        this.step = new BatchStep(memory, pending, runtime, codec, metrics,
                context::forward, context::currentSystemTimeMs, config.batchMerge(),
                // Room for every stream thread's full batch in one merged call.
                config.batchMaxSize() * MERGE_MAX_THREADS);
        this.inFlight = new BatchesInFlight(step, runtime);
        context.schedule(config.batchMaxWait(), PunctuationType.WALL_CLOCK_TIME, now -> tick());
        if (overlaps()) {
            context.schedule(COLLECT_EVERY, PunctuationType.WALL_CLOCK_TIME, now -> collect());
        }
        if (!config.memoryTtl().isZero()) {
            long every = Math.max(1_000, Math.min(config.memoryTtl().toMillis() / 2, 60_000));
            context.schedule(Duration.ofMillis(every), PunctuationType.WALL_CLOCK_TIME, this::evictIdle);
        }
    }

    @Override
    public void process(Record<String, TokenChunk> record) {
        String id = record.key();
        TokenChunk chunk = record.value();
        List<PendingChunk> parts;
        try {
            admission.validate(id, chunk);
            parts = admission.split(chunk);
        } catch (RejectedChunkException e) {
            metrics.deadLetters(e.reason()).increment();
            throw e;
        }
        PendingStream queue = pending.get(id);
        long last = lastAccepted(id, queue);
        long seq = chunk.getSeq();
        if (seq <= last) {
            metrics.duplicates.increment();
            return;
        }
        if (seq > last + 1) {
            metrics.gaps.increment();
            if (config.gapPolicy() == TopologyConfig.GapPolicy.REJECT) {
                metrics.deadLetters("gap").increment();
                throw new RejectedChunkException("gap", "stream '" + id + "' expected seq " + (last + 1) + ", got " + seq);
            }
        }
        // More tokens than the model can give is not an error the producer could avoid (it does not
        // know the deployed model, and the same record is valid for another): generation stops at
        // the model's limit with finishReason LENGTH, and the meter shows how often that happens.
        if (chunk.getGenerate() != null && chunk.getGenerate().getMaxNewTokens() > runtime.manifest().maxNewTokens()) {
            metrics.generateClamped.increment();
        }
        pending.append(id, queue, seq, parts);
        drain(false);
    }

    /**
     * The punctuator: runs whatever is queued, partial batches too, unless batches filled by
     * themselves since the previous tick. Then the streams left over are filling the next full
     * batch, and running them now would cut it short: under load the tick fell just after a full
     * batch every other time (measured: batches of 27 formed at a maximum of 32). When the load
     * stops they run at the next tick, so a chunk waits at most two ticks for a partial batch.
     * With batch.overlap it marks what is queued and leaves the running to the collector, which
     * does not wait for the model.
     */
    private void tick() {
        boolean filling = fullBatches != fullBatchesAtLastTick;
        fullBatchesAtLastTick = fullBatches;
        if (filling) {
            return;
        }
        if (overlaps()) {
            marked = pending.marks();
            collect();
        } else {
            drain(true);
        }
    }

    /**
     * The seq the next record must follow. A queued end-of-stream record means the id starts a new
     * stream after it, so -1; otherwise the newest queued seq, else the memory's.
     */
    private long lastAccepted(String id, PendingStream queue) {
        if (queue != null) {
            return queue.getLastEndOfStream() ? -1 : queue.getLastSeq();
        }
        MemoryState state = memory.get(id);
        if (state == null) {
            return -1;
        }
        codec.foreign(id, state); // fails the task now under fingerprint.mismatch=fail
        return state.getLastSeq();
    }

    /**
     * Full batches only from process(); everything from the punctuator. Both stop after the time
     * budget (one huge record can queue thousands of model chunks): what is left stays in the
     * pending store for the next punctuation, and the transaction can commit in between. With
     * overlap, process() waits for the model only when the task's worker slots are full (for the
     * oldest third of them, {@link BatchesInFlight#applyOldestThird}), and
     * the punctuator does not drain here ({@link #collect}); without it the punctuator runs every
     * batch itself, so a partial batch's outputs leave with its tick.
     */
    private void drain(boolean everything) {
        long deadline = System.nanoTime() + DRAIN_BUDGET_NANOS;
        guarded(() -> {
            while (System.nanoTime() < deadline) {
                inFlight.applyFinished();
                long ready = pending.countStreams() - inFlight.busy().size();
                boolean batchReady = everything ? ready > 0 : ready >= config.batchMaxSize();
                if (batchReady && !inFlight.isFull()) {
                    if (!startBatch(everything)) {
                        break;
                    }
                } else if (!inFlight.isEmpty() && (everything || batchReady)) {
                    inFlight.applyOldestThird();
                } else {
                    break;
                }
            }
        });
    }

    /**
     * The collecting punctuator (batch.overlap): applies the batches the worker has finished, and
     * starts batches of the chunks the last tick marked (partial ones too) while the worker has
     * room; never waits for the model.
     */
    private void collect() {
        guarded(() -> {
            inFlight.applyFinished();
            while (!marked.isEmpty() && !inFlight.isFull()) {
                BatchStep.Prepared batch = step.prepare(
                        pending.headsBefore(marked, config.batchMaxSize(), inFlight.busy()));
                if (batch == null) {
                    break;
                }
                inFlight.start(batch);
            }
        });
    }

    /** Takes the next batch and runs it, or hands it to the worker; false if no stream had a chunk. */
    private boolean startBatch(boolean everything) {
        BatchStep.Prepared batch = step.prepare(config.batchMaxSize(), inFlight.busy());
        if (batch == null) {
            return false;
        }
        if (!everything) {
            fullBatches++;
        }
        if (overlaps()) {
            inFlight.start(batch);
        } else {
            // Looked up per call: the batch runs on the stream thread, whichever thread created the task.
            step.apply(batch, step.compute(batch, runtime.sessionForCurrentThread()));
        }
        return true;
    }

    /** Runs batch work, turning a failure of the batch (not Streams' own signals) into a failed batch. */
    private static void guarded(Runnable batchWork) {
        try {
            batchWork.run();
        } catch (FingerprintMismatchException e) {
            throw e;
        } catch (TaskMigratedException | TaskCorruptedException e) {
            throw e; // Streams' own signals (fenced producer, corrupted state): it recovers from these itself
        } catch (RuntimeException e) {
            throw new BatchFailedException(e);
        }
    }

    private boolean overlaps() {
        // A merged call gathers the stream threads' batches itself; it keeps the calling thread.
        return config.batchOverlap() && !config.batchMerge();
    }

    @Override
    public void close() {
        inFlight.dropAll();
    }

    /** Deletes memories idle for memory.ttl (a tombstone in the changelog); streams with queued chunks stay. */
    private void evictIdle(long now) {
        long cutoff = now - config.memoryTtl().toMillis();
        List<String> idle = new ArrayList<>();
        try (KeyValueIterator<String, MemoryState> it = memory.all()) {
            while (it.hasNext()) {
                KeyValue<String, MemoryState> kv = it.next();
                if (kv.value.getUpdatedAt().toEpochMilli() <= cutoff && !pending.isQueued(kv.key)) {
                    idle.add(kv.key);
                }
            }
        }
        for (String id : idle) {
            memory.delete(id);
            metrics.evictions.increment();
        }
    }
}
