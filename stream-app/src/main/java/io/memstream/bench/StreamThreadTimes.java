package io.memstream.bench;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Where the stream threads' time went, from Kafka Streams' own thread metrics: the shares of wall
 * time in processing (memstream's processor, the model included), punctuation (batches formed by
 * the wall-clock punctuator), polling and committing (exactly-once commits wait on the broker),
 * and the mean latency of a commit and a poll. Read at the end of a run, so these are Streams'
 * recent windows (two of 30 s by default: a warm run's include its warm-up), not the whole run;
 * averaged over the stream threads. {@link #counts} reads the cumulative counts instead, to diff
 * over exactly the measured window.
 */
final class StreamThreadTimes {

    private static final String GROUP = "stream-thread-metrics";
    private static final Set<String> NAMES = Set.of("process-ratio", "punctuate-ratio", "poll-ratio", "commit-ratio",
            "commit-latency-avg", "poll-latency-avg", "commit-rate");

    /** Streams' cumulative counts, which unlike the ratios can be read for exactly the measured window. */
    private static final Map<String, String> TOTALS = Map.of("poll-total", "polls", "commit-total", "commits",
            "punctuate-total", "punctuations", "process-total", "records_processed");

    /** The stream threads' cumulative counts at one moment, summed over the threads. */
    record Counts(Map<String, Double> totals) {
        /** Each count's growth since {@code before}, and per second over {@code seconds}. */
        Map<String, Object> since(Counts before, double seconds) {
            Map<String, Object> out = new TreeMap<>();
            totals.forEach((name, now) -> {
                double grew = now - before.totals.getOrDefault(name, 0.0);
                out.put(name, Timings.round(grew));
                out.put(name + "_per_s", seconds > 0 ? Timings.round(grew / seconds) : null);
            });
            return out;
        }
    }

    private StreamThreadTimes() { }

    /** The cumulative counts now: diff two of them ({@link Counts#since}) for a window's polls and commits. */
    static Counts counts(KafkaStreams streams) {
        Map<String, Double> totals = new TreeMap<>();
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName n = e.getKey();
            String name = TOTALS.get(n.name());
            if (GROUP.equals(n.group()) && name != null && e.getValue().metricValue() instanceof Double v && !v.isNaN()) {
                totals.merge(name, v, Double::sum);
            }
        }
        return new Counts(totals);
    }

    static Map<String, Object> of(KafkaStreams streams) {
        Map<String, double[]> sums = new TreeMap<>();
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (GROUP.equals(n.group()) && NAMES.contains(n.name()) && e.getValue().metricValue() instanceof Double v
                    && !v.isNaN()) {
                double[] s = sums.computeIfAbsent(n.name().replace('-', '_'), k -> new double[2]);
                s[0] += v;
                s[1] += 1;
            }
        }
        Map<String, Object> out = new TreeMap<>();
        sums.forEach((k, s) -> out.put(k, Timings.round(s[0] / s[1])));
        return out;
    }
}
