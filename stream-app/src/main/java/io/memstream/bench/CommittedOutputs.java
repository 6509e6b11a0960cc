package io.memstream.bench;

import io.memstream.client.ContinuationReader;
import io.memstream.schema.Continuation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What the end-to-end benchmark's {@code read_committed} reader saw: each output's arrival time
 * (System.nanoTime), its latency from the chunk's timestamp (ms) and the continuation itself, and
 * the figures made from them (throughput, latency overall, by the second and in the steady middle,
 * the model's share).
 */
record CommittedOutputs(long[] arrivalNanos, double[] latencyMillis, List<Continuation> outputs) {

    Map<String, Object> summary(long start, long startWall) {
        int n = outputs.size();
        double seconds = (Arrays.stream(arrivalNanos).max().orElse(start) - start) / 1e9;
        long absorbed = outputs.stream().mapToLong(c -> c.getStats().getChunkTokens()).sum();
        long generated = outputs.stream().mapToLong(c -> c.getTokens().size()).sum();
        double meanBatch = outputs.stream().mapToInt(c -> c.getStats().getBatchSize()).average().orElse(0);
        Timings latency = Timings.of(latencyMillis);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("outputs", n);
        m.put("seconds", Timings.round(seconds));
        m.put("chunks_per_s", Timings.round(n / seconds));
        m.put("tokens_absorbed", absorbed);
        m.put("absorbed_tokens_per_s", Timings.round(absorbed / seconds));
        m.put("tokens_generated", generated);
        m.put("generated_tokens_per_s", Timings.round(generated / seconds));
        m.put("mean_batch_size", Timings.round(meanBatch));
        m.putAll(steady(start, absorbed / (double) Math.max(1, n)));
        m.put("latency_p50_ms", Timings.round(latency.quantile(0.5)));
        m.put("latency_p99_ms", Timings.round(latency.quantile(0.99)));
        m.put("latency_max_ms", Timings.round(latency.quantile(1.0)));
        m.put("latency_by_second", latencyBySecond(start));
        m.put("model_ms_per_output_median", Timings.round(Timings.of(outputs.stream()
                .mapToDouble(c -> c.getStats().getInferenceMillis()).toArray()).median()));
        // Each batch's model time is in every one of its outputs: split it across them to count it once.
        double modelSeconds = outputs.stream()
                .mapToDouble(c -> c.getStats().getInferenceMillis() / Math.max(1, c.getStats().getBatchSize())).sum() / 1e3;
        m.put("model_seconds", Timings.round(modelSeconds));
        m.put("model_share_of_wall_time", Timings.round(modelSeconds / seconds));
        return m;
    }

    /**
     * Outputs and their latency p50 / p99 / max, by the second of the run in which they arrived:
     * where in the run the whole-run p99 comes from (the start, a stall, the tail), which the
     * whole-run and steady figures alone do not say.
     */
    private List<Map<String, Object>> latencyBySecond(long start) {
        Map<Integer, List<Integer>> bySecond = new TreeMap<>();
        for (int i = 0; i < arrivalNanos.length; i++) {
            int second = (int) ((arrivalNanos[i] - start) / 1_000_000_000L);
            bySecond.computeIfAbsent(second, x -> new ArrayList<>()).add(i);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map.Entry<Integer, List<Integer>> e : bySecond.entrySet()) {
            List<Integer> at = e.getValue();
            Timings t = Timings.of(at.stream().mapToDouble(i -> latencyMillis[i]).toArray());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("second", e.getKey());
            row.put("outputs", at.size());
            row.put("p50_ms", Timings.round(t.quantile(0.5)));
            row.put("p99_ms", Timings.round(t.quantile(0.99)));
            row.put("max_ms", Timings.round(t.quantile(1.0)));
            // The model's share of the latency: a slow start in the model (first calls) shows here,
            // one elsewhere (fetches, commits, the reader) does not.
            row.put("model_ms_p50", Timings.round(Timings.of(at.stream()
                    .mapToDouble(i -> outputs.get(i).getStats().getInferenceMillis()).toArray()).median()));
            row.put("mean_batch_size", Timings.round(at.stream()
                    .mapToInt(i -> outputs.get(i).getStats().getBatchSize()).average().orElse(0)));
            rows.add(row);
        }
        return rows;
    }

    /**
     * Throughput and latency between the arrival of the 10th and the 90th percentile output: the
     * middle of the run, without the start (first fetches, JIT compilation, ONNX Runtime's first
     * call at each batch shape) and the tail (the last, partly filled batches). The engine-alone
     * figures it is compared with also leave out their warm-up.
     *
     * <p>{@code start_lag_s}: how far the run was behind its own steady rate when the 10th percentile
     * output arrived (seconds since {@code start}, less the time that many outputs take at the steady
     * rate). What a start costs, in seconds, apart from the throughput: a run's whole-run ratio falls
     * with it as the run gets shorter, and the steady ratio does not.
     */
    Map<String, Object> steady(long start, double tokensPerOutput) {
        long[] sorted = arrivalNanos.clone();
        Arrays.sort(sorted);
        Map<String, Object> m = new LinkedHashMap<>();
        int lo = sorted.length / 10;
        int hi = sorted.length * 9 / 10;
        double seconds = (sorted[Math.max(lo, hi - 1)] - sorted[lo]) / 1e9;
        if (hi - lo < 2 || seconds <= 0) {
            return m;
        }
        int intervals = hi - 1 - lo;   // outputs that arrived after the first one timed
        m.put("steady_outputs", hi - lo);
        m.put("steady_seconds", Timings.round(seconds));
        m.put("steady_chunks_per_s", Timings.round(intervals / seconds));
        m.put("steady_absorbed_tokens_per_s", Timings.round(intervals * tokensPerOutput / seconds));
        m.put("start_lag_s", Timings.round((sorted[lo] - start) / 1e9 - lo * seconds / intervals));
        // latency of the same middle outputs (arrays are in arrival order): no start-up queueing
        Timings latency = Timings.of(Arrays.copyOfRange(latencyMillis, lo, hi));
        m.put("steady_latency_p50_ms", Timings.round(latency.quantile(0.5)));
        m.put("steady_latency_p99_ms", Timings.round(latency.quantile(0.99)));
        return m;
    }

    /**
     * Reads {@code expected} outputs (or fails after 20 minutes), each with its arrival time and its
     * latency from the chunk's timestamp; {@code start} (System.nanoTime) is for the progress lines.
     */
    static CommittedOutputs read(ContinuationReader reader, int expected, long start) {
        long[] arrivals = new long[expected];
        double[] latencies = new double[expected];
        List<Continuation> outputs = new ArrayList<>(expected);
        long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
        int lastReport = 0;
        while (outputs.size() < expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + outputs.size() + " of " + expected + " outputs after 20 minutes");
            }
            for (ConsumerRecord<String, Continuation> r : reader.poll(Duration.ofMillis(50))) {
                if (outputs.size() == expected) {
                    break;
                }
                long now = System.nanoTime();
                arrivals[outputs.size()] = now;
                latencies[outputs.size()] = System.currentTimeMillis() - r.timestamp();
                outputs.add(r.value());
            }
            if (outputs.size() - lastReport >= Math.max(1, expected / 4)) {
                lastReport = outputs.size();
                BenchOutput.progress("%d/%d outputs after %.1f s", outputs.size(), expected, (System.nanoTime() - start) / 1e9);
            }
        }
        return new CommittedOutputs(arrivals, latencies, outputs);
    }
}
