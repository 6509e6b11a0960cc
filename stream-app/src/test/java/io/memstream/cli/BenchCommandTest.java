package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
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

    /** --step-only: step alone, for rounds in turns with PyTorch (bench/paired-step.sh). */
    @Test
    void engineBenchmarkOfStepAlone() throws Exception {
        JsonNode r = run("bench", "--model", DemoCommandTest.TINY.toString(), "--threads", "1", "engine",
                "--step-batches", "2", "--step-only", "--warmup-s", "0", "--measure-s", "0", "--min-reps", "1",
                "--out", dir.resolve("step.json").toString());
        assertEquals(1, r.path("step").size());
        assertTrue(r.path("step").get(0).path("tokens_per_s").asDouble() > 0);
        assertTrue(r.path("decode").isMissingNode() && r.path("batched_generation").isMissingNode(), r.toString());
        assertTrue(r.path("environment").path("command").asText().contains("--step-only"));
    }

    /** Each setting gets a runtime of its own, and each ratio is against the first setting's. */
    @Test
    void piecesBenchmarkComparesEachSettingWithTheFirst() throws Exception {
        JsonNode r = run("bench", "--model", DemoCommandTest.TINY.toString(), "--threads", "2", "pieces",
                "--rows", "0,2", "--batches", "2,8", "--rounds", "3", "--calls", "2", "--warmup-s", "0",
                "--out", dir.resolve("pieces.json").toString());
        JsonNode step = r.path("step");
        assertEquals(4, step.size(), step.toString());
        for (int i = 0; i < 4; i++) {
            JsonNode row = step.get(i);
            assertEquals(i < 2 ? 2 : 8, row.path("batch").asInt());
            assertEquals(i % 2 == 0 ? 0 : 2, row.path("piece_rows").asInt(), "the setting, as the runtime took it");
            assertEquals(3 * 2, row.path("calls").asInt(), "rounds x calls per turn");
            assertEquals(3, row.path("time_against_first_by_round").size());
            assertTrue(row.path("tokens_per_s").asDouble() > 0);
        }
        assertEquals(1.0, step.get(0).path("time_against_first").asDouble(), 1e-9, "the first against itself");
        assertTrue(step.get(3).path("time_against_first").asDouble() > 0);
        assertEquals(2, r.path("step_shards").asInt());
    }

    /** A real (embedded) broker: 2 streams x 3 chunks paced into a running processor. */
    @Test
    void pacedEndToEndBenchmarkAccountsForEveryOutputByTheSecond() throws Exception {
        JsonNode r = run("bench", "--model", DemoCommandTest.TINY.toString(), "--threads", "1", "e2e",
                "--streams", "2", "--chunks", "3", "--chunk-bytes", "31", "--rate", "20", "--engine-s", "0", "-D", "batch.max.size=2",
                "--paced-warmup-s", "0.2", "--out", dir.resolve("e2e.json").toString());
        assertEquals(6, r.path("outputs").asInt());
        // 0.2 s at 20 chunks/s: four warm-up chunks of streams of their own, counted apart
        assertEquals(4, r.path("paced_warmup").path("outputs").asInt());
        assertEquals(0.2, r.path("settings").path("paced_warmup_s").asDouble(), 1e-9);
        int counted = 0;
        double worst = 0;
        for (JsonNode second : r.path("latency_by_second")) {
            counted += second.path("outputs").asInt();
            assertTrue(second.path("p50_ms").asDouble() <= second.path("p99_ms").asDouble());
            assertTrue(second.path("p99_ms").asDouble() <= second.path("max_ms").asDouble());
            worst = Math.max(worst, second.path("max_ms").asDouble());
        }
        assertEquals(6, counted, "every output in exactly one second of the run; the warm-up outputs in none");
        assertEquals(r.path("latency_max_ms").asDouble(), worst, 1e-9);
        assertTrue(r.path("first_output_latency_ms").asDouble() > 0, "the warm-up chunk's latency is reported");
        assertTrue(r.path("cpu").path("cores_by_group").path("stream threads").asDouble() > 0,
                "the stream thread's CPU is counted: " + r.path("cpu"));
        int batched = 0;
        for (JsonNode second : r.path("latency_by_second")) {
            batched += second.path("mean_batch_size").asDouble() >= 1 ? 1 : 0;
            assertTrue(second.path("model_ms_p50").asDouble() > 0);
        }
        assertEquals(r.path("latency_by_second").size(), batched, "each second says its batch size");
        // The engine alone steps the run's own chunks (one model chunk each at 31 bytes: the tiny model's
        // chunk is 32 tokens): as many tokens per row as the run absorbed per chunk, not a full chunk's
        JsonNode engine = r.path("engine_alone").path("batch_2");
        double perChunk = r.path("tokens_absorbed").asDouble() / r.path("outputs").asDouble();
        double perRow = engine.path("tokens_per_call").asDouble() / 2;
        assertTrue(perRow < 32 && Math.abs(perRow - perChunk) <= 0.1 * perChunk,
                "engine rows of " + perRow + " tokens against the run's " + perChunk);
        assertEquals(r.path("absorbed_tokens_per_s").asDouble() / engine.path("absorbed_tokens_per_s").asDouble(),
                r.path("ratios").path("e2e_over_engine_batch_2").asDouble(), 0.001);
    }

    /**
     * A warm start: the processor absorbs rounds of warm-up streams, is paused while the run is published,
     * and is timed from its resumption; the run's outputs are counted, the warm-up's apart.
     */
    @Test
    void warmAheadEndToEndBenchmarkCountsTheRunApartFromItsWarmUp() throws Exception {
        JsonNode r = run("bench", "--model", DemoCommandTest.TINY.toString(), "--threads", "1", "e2e",
                "--streams", "3", "--chunks", "2", "--chunk-bytes", "31", "--engine-s", "0", "-D", "batch.max.size=2",
                "--ahead-warmup-s", "0.3", "--out", dir.resolve("e2e-warm.json").toString());
        assertEquals(6, r.path("outputs").asInt());
        JsonNode warm = r.path("ahead_warmup");
        assertTrue(warm.path("rounds").asInt() >= 1);
        // each round sends the run's first chunks (all 6 here) under ids of their own
        assertEquals(6 * warm.path("rounds").asInt(), warm.path("outputs").asInt());
        assertTrue(warm.path("seconds").asDouble() >= 0.3);
        assertTrue(r.path("note").asText().contains("resumed"));
        // The engine alone brackets the run: measured before and after it, with 1, 2 and 4 batches in
        // flight; the ratio divides by the best of them.
        JsonNode engine = r.path("engine_alone").path("batch_2");
        double best = 0;
        for (String depth : new String[] {"1", "2", "4"}) {
            JsonNode d = engine.path("by_in_flight").path(depth);
            assertTrue(d.path("before_absorbed_tokens_per_s").asDouble() > 0, engine.toString());
            assertTrue(d.path("after_absorbed_tokens_per_s").asDouble() > 0, engine.toString());
            best = Math.max(best, d.path("absorbed_tokens_per_s").asDouble());
        }
        assertEquals(best, engine.path("absorbed_tokens_per_s").asDouble(), 1e-9);
        assertEquals(r.path("absorbed_tokens_per_s").asDouble() / best,
                r.path("ratios").path("e2e_over_engine_batch_2").asDouble(), 0.001);
    }

    @Test
    void stateBenchmarkWritesItsResult() throws Exception {
        JsonNode r = run("bench", "--model", DemoCommandTest.TINY.toString(), "state", "--chunks", "8",
                "--out", dir.resolve("state.json").toString());
        JsonNode first = r.path("by_length").get(0);
        assertTrue(first.path("fp16_value_bytes").asInt() < first.path("fp32_value_bytes").asInt());
        assertTrue(r.path("fp16_error").path("max_abs_diff_bits_per_byte").asDouble() < 0.05);
        JsonNode codec = r.path("codec").path("by_dtype");
        assertEquals(List.of("float32", "float16"), List.of(codec.get(0).path("dtype").asText(),
                codec.get(1).path("dtype").asText()));
        for (JsonNode row : codec) {
            assertTrue(row.path("encode_us").asDouble() > 0 && row.path("decode_us").asDouble() > 0, row.toString());
        }
    }
}
