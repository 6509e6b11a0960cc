package io.memstream.topology;

import io.memstream.model.ByteTokenizer;
import io.memstream.model.Generation;
import io.memstream.model.GenerationSpec;
import io.memstream.model.ModelManifest;
import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import io.memstream.model.StepOutput;
import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import io.memstream.schema.MemoryState;
import io.memstream.schema.PendingChunk;
import io.memstream.schema.PendingStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.processor.api.Record;

/**
 * One batched model call: takes the oldest queued model chunk of up to N streams, absorbs them in
 * one {@code step}, generates for the rows that asked, then writes memories, forwards
 * continuations and shrinks the queues. Everything it writes goes through the task's stores and
 * forwards, so it commits (or not) with the task's transaction. The three parts are apart
 * ({@link #prepare}, {@link #compute}, {@link #apply}) so that the model's part can run on another
 * thread while the stream thread polls and commits ({@code batch.overlap}); the queued chunks stay in
 * the pending store until {@link #apply}, so a commit in between loses nothing.
 */
final class BatchStep {

    private final MemoryStates memory;
    private final PendingQueue pending;
    private final ModelRuntime runtime;
    private final ModelManifest manifest;
    private final MemoryCodec codec;
    private final TopologyMetrics metrics;
    private final Consumer<Record<String, Continuation>> forward;
    private final LongSupplier wallClock;
    /** batch.merge: step through the JVM's shared merging session instead of this thread's own. */
    private final boolean merge;
    private final int mergeMaxRows;

    BatchStep(MemoryStates memory, PendingQueue pending,
              ModelRuntime runtime, MemoryCodec codec, TopologyMetrics metrics,
              Consumer<Record<String, Continuation>> forward, LongSupplier wallClock,
              boolean merge, int mergeMaxRows) {
        this.merge = merge;
        this.mergeMaxRows = mergeMaxRows;
        this.memory = memory;
        this.pending = pending;
        this.runtime = runtime;
        this.manifest = runtime.manifest();
        this.codec = codec;
        this.metrics = metrics;
        this.forward = forward;
        this.wallClock = wallClock;
    }

    /**
     * A batch taken from the queues: each row's stream, oldest queued chunk, stored memory and the
     * model's inputs. Read on the stream thread; the model may then run it on another.
     */
    record Prepared(List<PendingQueue.Head> heads, MemoryState[] stored, float[][][] states, int[][] tokens) {
        List<String> streamIds() {
            return heads.stream().map(PendingQueue.Head::streamId).toList();
        }
    }

    /** What the model gave for a prepared batch: the step, its wall time, and the generations. */
    record Computed(StepOutput out, double stepMillis, Generated generated) { }

    /** The oldest queued chunk of up to {@code maxStreams} streams not in {@code busy}; null if none. */
    Prepared prepare(int maxStreams, Set<String> busy) {
        return prepare(pending.heads(maxStreams, busy));
    }

    /** A batch of these queue heads (one per stream); null if none. */
    Prepared prepare(List<PendingQueue.Head> batch) {
        if (batch.isEmpty()) {
            return null;
        }
        int b = batch.size();
        MemoryState[] stored = new MemoryState[b];
        float[][][] states = new float[b][][];
        int[][] tokens = new int[b][];
        for (int i = 0; i < b; i++) {
            String id = batch.get(i).streamId();
            stored[i] = memory.get(id);
            boolean reset = codec.foreign(id, stored[i]);
            if (reset) {
                metrics.resets.increment();
            }
            states[i] = codec.tensors(id, reset ? null : stored[i]); // null: the initial state, not checked again
            tokens[i] = toArray(batch.get(i).chunk().getTokens());
        }
        return new Prepared(batch, stored, states, tokens);
    }

    /**
     * The model's part: step, then generation for the rows that asked. Touches no store, so it may
     * run on any thread; {@code session} must be that thread's own.
     */
    Computed compute(Prepared batch, ModelSession session) {
        long t0 = System.nanoTime();
        StepOutput out = merge ? runtime.mergingStepper(mergeMaxRows).step(batch.states(), batch.tokens())
                : session.step(batch.states(), batch.tokens());
        double stepMillis = (System.nanoTime() - t0) / 1e6;
        return computed(batch, out, stepMillis, generate(session, batch, generationRows(batch.heads())));
    }

    /**
     * The model's part without waiting for it (batch.overlap): a step big enough to split is queued
     * for the step parts of {@code session} (the calling thread's own) behind the batches started
     * before it; a smaller step, and the generation of the rows that asked, go to {@code workers},
     * each on a worker's own session. Generation starts from the memories before the chunk, so it
     * runs while the step does. Touches no store.
     */
    Running start(Prepared batch, ModelSession session, ExecutorService workers) {
        CompletableFuture<StepOutput> stepped = session.stepAsync(batch.states(), batch.tokens(), workers);
        List<Integer> rows = generationRows(batch.heads());
        CompletableFuture<Generated> generated = rows.isEmpty()
                ? CompletableFuture.completedFuture(new Generated(new Generation[batch.heads().size()], 0))
                : CompletableFuture.supplyAsync(() -> generate(runtime.sessionForCurrentThread(), batch, rows), workers);
        return new Running(stepped, generated, !rows.isEmpty(),
                stepped.thenCombine(generated, (out, gen) -> computed(batch, out, out.millis(), gen)));
    }

    /**
     * A batch with the model: its step and generation, and what they make together. Cancelling it
     * skips the step's pieces and the generation if they have not started.
     */
    record Running(CompletableFuture<StepOutput> step, CompletableFuture<Generated> generation, boolean generates,
                   CompletableFuture<Computed> result) {
        void cancel() {
            step.cancel(false);
            generation.cancel(false);
        }
    }

    private Computed computed(Prepared batch, StepOutput out, double stepMillis, Generated generated) {
        metrics.stepLatency.record((long) (stepMillis * 1e6), TimeUnit.NANOSECONDS);
        metrics.batchSize.record(batch.heads().size());
        return new Computed(out, stepMillis, generated);
    }

    /**
     * Writes memories, forwards continuations and shrinks the queues; on the stream thread, in the
     * task's transaction. Each queue header is read again here: chunks may have been queued behind
     * the batch while the model ran.
     */
    void apply(Prepared batch, Computed computed) {
        StepOutput out = computed.out();
        Generation[] generations = computed.generated().rows();
        int[][] tokens = batch.tokens();
        int b = batch.heads().size();
        long now = wallClock.getAsLong();
        for (int i = 0; i < b; i++) {
            String id = batch.heads().get(i).streamId();
            PendingStream queue = pending.get(id);
            PendingChunk head = batch.heads().get(i).chunk();
            boolean recordDone = head.getPart() == head.getParts() - 1;
            MemoryState before = batch.stored()[i];
            boolean fresh = before == null;
            long chunksAbsorbed = (fresh ? 0 : before.getChunksAbsorbed()) + (recordDone ? 1 : 0);
            long tokensAbsorbed = (fresh ? 0 : before.getTokensAbsorbed()) + tokens[i].length;
            long lastSeq = recordDone ? head.getSeq() : (fresh ? -1 : before.getLastSeq());
            double bits = queue.getHeadBits() + out.bits()[i];
            long byteTokens = queue.getHeadByteTokens() + countBytes(tokens[i]);
            double millis = queue.getHeadMillis() + computed.stepMillis()
                    + (generations[i] != null ? computed.generated().millis() : 0);

            if (recordDone) {
                forward.accept(new Record<>(id, continuation(id, head, generations[i], bits, byteTokens, millis, b,
                        chunksAbsorbed, tokensAbsorbed), head.getProducedAt().toEpochMilli()));
                metrics.continuations.increment();
                metrics.chunksAbsorbed.increment();
                if (generations[i] != null) {
                    metrics.tokensGenerated.increment(generations[i].tokens().length);
                }
                queue.setHeadBits(0.0);
                queue.setHeadByteTokens(0L);
                queue.setHeadMillis(0.0);
            } else {
                queue.setHeadBits(bits);
                queue.setHeadByteTokens(byteTokens);
                queue.setHeadMillis(millis);
            }
            metrics.tokensAbsorbed.increment(tokens[i].length);
            if (recordDone && head.getEndOfStream()) {
                memory.delete(id);
            } else {
                memory.put(id, codec.encode(out.nextState()[i], lastSeq, chunksAbsorbed, tokensAbsorbed, now));
            }
            pending.pop(id, queue, head);
        }
    }

    /** Per batch row the generation (null where none was asked), and the wall time of the generation call. */
    record Generated(Generation[] rows, double millis) { }

    /** The rows of a batch whose record ends with this chunk and asked for a continuation. */
    private static List<Integer> generationRows(List<PendingQueue.Head> batch) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            PendingChunk head = batch.get(i).chunk();
            if (head.getGenerate() != null && head.getPart() == head.getParts() - 1) {
                rows.add(i);
            }
        }
        return rows;
    }

    /** Generation for {@code rows} (those whose record ends here and asked for it); prefill sees the memory before the chunk. */
    private Generated generate(ModelSession session, Prepared prepared, List<Integer> rows) {
        List<PendingQueue.Head> batch = prepared.heads();
        float[][][] states = prepared.states();
        int[][] tokens = prepared.tokens();
        List<GenerationSpec> specs = new ArrayList<>();
        for (int i : rows) {
            PendingChunk head = batch.get(i).chunk();
            specs.add(GenerationRequests.toSpec(head.getGenerate(), batch.get(i).streamId(), head.getSeq()));
        }
        Generation[] out = new Generation[batch.size()];
        if (rows.isEmpty()) {
            return new Generated(out, 0);
        }
        float[][][] genStates = new float[rows.size()][][];
        int[][] genTokens = new int[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            genStates[r] = states[rows.get(r)];
            genTokens[r] = tokens[rows.get(r)];
        }
        long t0 = System.nanoTime();
        List<Generation> gens = session.generate(genStates, genTokens, specs);
        long nanos = System.nanoTime() - t0;
        metrics.generateLatency.record(nanos, TimeUnit.NANOSECONDS);
        for (int r = 0; r < rows.size(); r++) {
            out[rows.get(r)] = gens.get(r);
        }
        return new Generated(out, nanos / 1e6);
    }

    private Continuation continuation(String id, PendingChunk head, Generation gen, double bits, long byteTokens,
                                      double millis, int batchSize, long chunksAbsorbed, long tokensAbsorbed) {
        List<Integer> genTokens = gen == null ? List.of() : java.util.Arrays.stream(gen.tokens()).boxed().toList();
        return Continuation.newBuilder()
                .setStreamId(id)
                .setSeq(head.getSeq())
                .setText(gen == null ? "" : gen.text())
                .setTokens(genTokens)
                .setFinishReason(gen == null ? FinishReason.NONE : FinishReason.valueOf(gen.finish().name()))
                .setModelId(manifest.modelId())
                .setBitsPerByte(byteTokens > 0 ? bits / byteTokens : null)
                .setStats(ChunkStats.newBuilder()
                        .setChunkTokens(head.getRecordTokens())
                        .setModelChunks(head.getParts())
                        .setBatchSize(batchSize)
                        .setInferenceMillis(millis)
                        .setChunksAbsorbed(chunksAbsorbed)
                        .setTokensAbsorbed(tokensAbsorbed)
                        .build())
                .build();
    }

    private static int[] toArray(List<Integer> list) {
        int[] a = new int[list.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = list.get(i);
        }
        return a;
    }

    private static int countBytes(int[] ids) {
        int n = 0;
        for (int id : ids) {
            if (ByteTokenizer.isByte(id)) {
                n++;
            }
        }
        return n;
    }
}
