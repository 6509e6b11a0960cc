package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelRuntime;
import io.memstream.model.TestModels;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.MemoryState;
import io.memstream.schema.PendingChunk;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How many batches one task keeps with the model under batch.overlap: one running and one waiting
 * per worker slot, where a split step takes every step part's slot and a smaller step one model
 * worker's, and a generation one more; a small step (a few rows) without generation a third of a
 * slot. With two model threads: twelve single-row batches, two generating ones, two split ones.
 */
class BatchesInFlightTest {

    @Test
    void aTaskKeepsSixSmallBatchesPerModelWorkerAndTwoGeneratingOrSplitOnes() throws Exception {
        try (ModelRuntime runtime = ModelRuntime.load(TestModels.repoRoot().resolve("models/default"),
                DeviceChoice.CPU, 2)) {
            assertEquals(2, runtime.modelWorkers());
            BatchesInFlight inFlight = inFlight(runtime);

            for (int i = 0; i < 12; i++) {
                assertFalse(inFlight.isFull(), "room for single-row batch " + i);
                inFlight.start(batch(runtime, "one-" + i, 1, false));
            }
            assertTrue(inFlight.isFull(), "twelve single-row batches fill two workers' slots, six per worker");
            assertEquals(12, inFlight.busy().size());
            inFlight.dropAll();
            assertFalse(inFlight.isFull());
            assertTrue(inFlight.busy().isEmpty());

            inFlight.start(batch(runtime, "generating-a", 1, true));
            assertFalse(inFlight.isFull(), "a generating row's step and generation take two workers once");
            inFlight.start(batch(runtime, "generating-b", 1, true));
            assertTrue(inFlight.isFull(), "two generating single-row batches fill two workers' slots");
            inFlight.dropAll();

            int rows = 32;
            assertTrue(runtime.sessionForCurrentThread().splitsStep(rows), "a batch of 32 is split");
            inFlight.start(batch(runtime, "split-a-", rows, false));
            assertFalse(inFlight.isFull(), "one split batch runs, another may wait");
            inFlight.start(batch(runtime, "split-b-", rows, false));
            assertTrue(inFlight.isFull(), "two split batches take every slot twice");
            inFlight.dropAll();
        }
    }

    @Test
    void onOneModelThreadLargeBatchesKeepTwoAndSmallOnesSix() throws Exception {
        try (ModelRuntime runtime = ModelRuntime.load(TestModels.repoRoot().resolve("models/default"),
                DeviceChoice.CPU, 1)) {
            assertEquals(1, runtime.modelWorkers());
            BatchesInFlight inFlight = inFlight(runtime);
            int rows = 32; // cut into pieces on the one thread, not parts
            inFlight.start(batch(runtime, "large-a-", rows, false));
            assertFalse(inFlight.isFull(), "one large batch runs, another may wait");
            inFlight.start(batch(runtime, "large-b-", rows, false));
            assertTrue(inFlight.isFull(), "a third batch of 32 would add its whole step to every chunk's wait");
            inFlight.dropAll();

            int small = BatchesInFlight.SMALL_STEP_MAX_ROWS;
            for (int i = 0; i < 6; i++) {
                assertFalse(inFlight.isFull(), "room for small batch " + i);
                inFlight.start(batch(runtime, "small-" + i + "-", small, false));
            }
            assertTrue(inFlight.isFull(), "six small batches fill the one worker");
            inFlight.dropAll();
        }
    }

    @Test
    void makingRoomWaitsForTheOldestThirdOfTheSlotsNotForEveryBatch() throws Exception {
        try (ModelRuntime runtime = ModelRuntime.load(TestModels.repoRoot().resolve("models/default"),
                DeviceChoice.CPU, 2)) {
            BatchesInFlight inFlight = inFlight(runtime);
            for (int i = 0; i < 12; i++) {
                inFlight.start(batch(runtime, "one-" + i, 1, false));
            }
            inFlight.awaitOldestThird();
            // Four single-row batches are a third of twelve slots; the two workers take batches in
            // order, so when the fourth is done at most one of the three before it still runs.
            assertTrue(inFlight.doneAmongOldest(4) >= 3, "done among the oldest four: " + inFlight.doneAmongOldest(4));
            inFlight.dropAll();

            int rows = 32;
            inFlight.start(batch(runtime, "split-a-", rows, false));
            inFlight.start(batch(runtime, "split-b-", rows, false));
            inFlight.awaitOldestThird();
            assertEquals(1, inFlight.doneAmongOldest(1), "a split batch holds a third of the slots on its own");
            inFlight.dropAll();
        }
    }

    /** A task's batches with the model; start() touches no store: the batches are dropped, never applied. */
    private static BatchesInFlight inFlight(ModelRuntime runtime) {
        BatchStep step = new BatchStep(null, null, runtime, null, new TopologyMetrics(new SimpleMeterRegistry()),
                r -> { }, System::currentTimeMillis, false, 32);
        return new BatchesInFlight(step, runtime);
    }

    /**
     * {@code rows} streams named {@code prefix<i>}, each with one full model chunk (asking for a
     * continuation if {@code generate}), from the initial memory.
     */
    private static BatchStep.Prepared batch(ModelRuntime runtime, String prefix, int rows, boolean generate) {
        int chunk = runtime.manifest().chunkLength();
        List<PendingQueue.Head> heads = new ArrayList<>();
        float[][][] states = new float[rows][][];
        int[][] tokens = new int[rows][];
        for (int i = 0; i < rows; i++) {
            List<Integer> ids = new ArrayList<>(Collections.nCopies(chunk, 'a' + i % 26));
            heads.add(new PendingQueue.Head(rows == 1 ? prefix : prefix + i, PendingChunk.newBuilder().setSeq(0)
                    .setPart(0).setParts(1).setTokens(ids).setRecordTokens(chunk).setProducedAt(Instant.EPOCH)
                    .setGenerate(generate ? GenerateRequest.newBuilder().setMaxNewTokens(4).setTemperature(0f).build() : null)
                    .build()));
            states[i] = runtime.initialState();
            tokens[i] = ids.stream().mapToInt(Integer::intValue).toArray();
        }
        return new BatchStep.Prepared(heads, new MemoryState[rows], states, tokens);
    }
}
