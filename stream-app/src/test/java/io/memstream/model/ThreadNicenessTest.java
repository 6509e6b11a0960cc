package io.memstream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model's threads lower their own CPU priority as they start (model.threads.nice), read back
 * from the kernel (/proc), and no other thread's changes. Linux only: elsewhere the setting does
 * nothing, and these tests are skipped.
 */
class ThreadNicenessTest {

    @BeforeAll
    static void linux() {
        assumeTrue(ThreadNiceness.currentThreadId().isPresent() && ThreadNiceness.currentNice().isPresent(),
                "needs Linux's /proc/thread-self");
    }

    private static OptionalInt onNewThread(int nice) throws Exception {
        CompletableFuture<OptionalInt> seen = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            ThreadNiceness.lowerCurrentThread(nice);
            seen.complete(ThreadNiceness.currentNice());
        });
        t.start();
        t.join();
        return seen.get();
    }

    @Test
    void aThreadLowersItsOwnPriorityAndNoOtherThreads() throws Exception {
        int mine = ThreadNiceness.currentNice().getAsInt();
        assertEquals(OptionalInt.of(Math.max(mine, 7)), onNewThread(7));
        assertEquals(OptionalInt.of(mine), ThreadNiceness.currentNice(), "the calling thread is untouched");
        assertEquals(OptionalInt.of(mine), onNewThread(0), "0 leaves a thread at the process's priority");
        assertThrows(IllegalArgumentException.class, () -> ThreadNiceness.lowerCurrentThread(-1));
        assertThrows(IllegalArgumentException.class, () -> ThreadNiceness.lowerCurrentThread(20));
    }

    @Test
    void theModelWorkersAndStepPartsRunAtTheConfiguredNiceValue() throws Exception {
        var dir = TestModels.repoRoot().resolve("models/default");
        OptionalInt caller = ThreadNiceness.currentNice();
        try (ModelRuntime runtime = ModelRuntime.load(dir, DeviceChoice.CPU, 2, OrtTuning.DEFAULT.withThreadNice(6))) {
            assertEquals(OptionalInt.of(6), runtime.workerForCurrentThread()
                    .submit(ThreadNiceness::currentNice).get(), "a model worker");

            Map<String, OptionalInt> parts = new ConcurrentHashMap<>();
            try (StepShards shards = new StepShards(runtime, (predictor, manager, states, tokens) -> {
                parts.put(Thread.currentThread().getName(), ThreadNiceness.currentNice());
                return new StepOutput(new double[tokens.length], new float[tokens.length][][], 0);
            })) {
                shards.step(new float[32][][], new int[32][]);
            }
            assertFalse(parts.isEmpty());
            parts.forEach((name, nice) -> {
                assertTrue(name.startsWith("memstream-step-part-"), name);
                assertEquals(OptionalInt.of(6), nice, name);
            });
            assertEquals(caller, ThreadNiceness.currentNice(), "the thread that handed them work is untouched");
        }
    }
}
