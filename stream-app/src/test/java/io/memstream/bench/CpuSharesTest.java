package io.memstream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuSharesTest {

    @Test
    void threadsAreGroupedByWhatTheyDo() {
        assertEquals(CpuShares.MODEL_THREADS, CpuShares.group("memstream-step-part-1-of-memstream-bench-1-StreamThread-1"));
        assertEquals(CpuShares.MODEL_THREADS, CpuShares.group("memstream-model-1-of-memstream-bench-1-StreamThread-1"));
        assertEquals(CpuShares.MODEL_THREADS, CpuShares.group("memstream-generate-part-1-of-memstream-model-0-of-x-StreamThread-1"));
        assertEquals(CpuShares.KAFKA_CLIENTS,
                CpuShares.group("kafka-producer-network-thread | memstream-bench-8f-StreamThread-1-producer"));
        assertEquals(CpuShares.STREAM_THREADS, CpuShares.group("memstream-bench-8f2c-StreamThread-1"));
        assertEquals(CpuShares.READER, CpuShares.group("main"));
        assertEquals(CpuShares.BROKER, CpuShares.group("data-plane-kafka-request-handler-0"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aBusyThreadShowsUnderItsGroupAndWithinTheProcess() throws Exception {
        CpuShares.Snapshot before = CpuShares.take(() -> -1);
        Thread busy = new Thread(() -> {
            long end = System.nanoTime() + 400_000_000L;
            double x = 0;
            while (System.nanoTime() < end) {
                x += Math.sqrt(x + 1);
            }
            if (x < 0) {
                throw new AssertionError();
            }
        }, "memstream-step-part-1-of-test");
        busy.start();
        // read while it still runs: a thread that has ended is no longer listed
        Thread.sleep(300);
        CpuShares.Snapshot after = CpuShares.take(() -> -1);
        busy.join();
        Map<String, Object> r = CpuShares.between(before, after);
        Map<String, Object> cores = (Map<String, Object>) r.get("cores_by_group");
        double parts = (double) cores.get(CpuShares.MODEL_THREADS);
        assertTrue(parts > 0.3, "a spinning part thread used " + parts + " cores");
        assertTrue((double) r.get("process_cores") >= parts - 0.05, "the process includes its threads: " + r);
        assertTrue(((Map<String, Object>) r.get("busiest_threads_cores")).containsKey("memstream-step-part-1-of-test"));
    }
}
