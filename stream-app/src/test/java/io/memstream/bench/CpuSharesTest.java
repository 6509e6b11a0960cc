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
    void theModelsCoresAreItsThreadsPlusTheUnnamedRemainder() {
        // 0.5 unlisted, of which gc 0.05 and jit 0.15 are known: 0.3 is left to ONNX Runtime's pools
        Map<String, Object> groups = Map.of(CpuShares.MODEL_THREADS, 1.2, CpuShares.UNLISTED, 0.5, CpuShares.BROKER, 0.2);
        assertEquals(1.5, CpuShares.modelCores(groups, Map.of("gc", 0.05, "jit", 0.15)), 1e-9);
        // more known native time than the remainder (the two are read at slightly different moments)
        assertEquals(1.2, CpuShares.modelCores(groups, Map.of("jit", 0.6)), 1e-9);
    }

    @Test
    void theRatioToTheEngineAloneIsItsShareOfCoresTimesTheirYield() {
        // end to end 90,000 tokens/s on 1.5 model cores; the engine alone 120,000 on 1.9
        EndToEndBench.CoreShare c = EndToEndBench.CoreShare.of(90_000, 1.5, 120_000, 1.9);
        assertEquals(1.5 / 1.9, c.cores(), 1e-9);
        assertEquals((90_000 / 1.5) / (120_000 / 1.9), c.tokensPerCore(), 1e-9);
        assertEquals(90_000.0 / 120_000, c.cores() * c.tokensPerCore(), 1e-9);
        java.util.Map<String, Object> ratios = new java.util.LinkedHashMap<>();
        EndToEndBench.CoreShare.of(90_000, 0, 120_000, 1.9).putInto(ratios, "batch_32");
        assertTrue(ratios.isEmpty(), "no cores read, no figure: " + ratios);
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
        assertTrue((double) r.get(CpuShares.MODEL_CORES) >= parts, "the model's cores include its threads: " + r);
    }
}
