package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code memstream bench} runs at all (smallest sizes, the tiny model, about a second): the speed
 * figures live in docs/PERFORMANCE.md from {@code bench/run-all.sh}, never in a timed test.
 */
class BenchCommandTest {

    @TempDir
    Path dir;

    private JsonNode run(String... args) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(0, exit, out + "\n" + err);
        return new ObjectMapper().readTree(Path.of(args[args.length - 1]).toFile());
    }

    @Test
    void engineBenchmarkWritesItsResult() throws Exception {
        JsonNode r = run("bench", "--model", DemoCommandTest.TINY.toString(), "--threads", "1", "engine",
                "--step-batches", "1,2", "--decode-batches", "1", "--generation-streams", "2", "--new-tokens", "3",
                "--warmup-s", "0", "--measure-s", "0", "--min-reps", "1", "--out", dir.resolve("engine.json").toString());
        assertEquals(2, r.path("step").size());
        assertTrue(r.path("step").get(1).path("tokens_per_s").asDouble() > 0);
        assertTrue(r.path("cached_vs_recompute").get(0).path("speedup").asDouble() > 0);
        assertEquals(4, r.path("two_threads_merging").size());
        assertTrue(r.path("environment").path("command").asText().startsWith("memstream bench"));
    }

    @Test
    void stateBenchmarkWritesItsResult() throws Exception {
        JsonNode r = run("bench", "--model", DemoCommandTest.TINY.toString(), "state", "--chunks", "8",
                "--out", dir.resolve("state.json").toString());
        JsonNode first = r.path("by_length").get(0);
        assertTrue(first.path("fp16_value_bytes").asInt() < first.path("fp32_value_bytes").asInt());
        assertTrue(r.path("fp16_error").path("max_abs_diff_bits_per_byte").asDouble() < 0.05);
    }
}
