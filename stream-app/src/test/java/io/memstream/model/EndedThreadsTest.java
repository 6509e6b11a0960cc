package io.memstream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A thread that ended (a stream thread Kafka Streams replaced) gives up its session and its model
 * worker once another thread takes its own; a living thread keeps them.
 */
class EndedThreadsTest {

    @Test
    void anEndedThreadsSessionIsClosedAndItsWorkerStoppedWhenAnotherThreadTakesItsOwn() throws Exception {
        try (ModelRuntime runtime = ModelRuntime.load(TestModels.tiny(), DeviceChoice.CPU, 1)) {
            AtomicReference<ExecutorService> ended = new AtomicReference<>();
            Thread replaced = new Thread(() -> {
                runtime.sessionForCurrentThread();
                ended.set(runtime.workerForCurrentThread());
            }, "ended-stream-thread");
            replaced.start();
            replaced.join();
            assertEquals(1, runtime.openSessionCount());
            assertFalse(ended.get().isShutdown(), "nothing is released before another thread asks");

            ExecutorService mine = runtime.workerForCurrentThread();
            runtime.sessionForCurrentThread();
            assertTrue(ended.get().isShutdown(), "the ended thread's worker is stopped");
            assertEquals(1, runtime.openSessionCount(), "the ended thread's session closed, this thread's open");
            assertFalse(mine.isShutdown());
            assertEquals(runtime.sessionForCurrentThread(), runtime.sessionForCurrentThread());
        }
    }
}
