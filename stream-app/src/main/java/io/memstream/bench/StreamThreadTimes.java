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
 * recent windows, not the whole run; averaged over the stream threads.
 */
final class StreamThreadTimes {

    private static final String GROUP = "stream-thread-metrics";
    private static final Set<String> NAMES = Set.of("process-ratio", "punctuate-ratio", "poll-ratio", "commit-ratio",
            "commit-latency-avg", "poll-latency-avg", "commit-rate");

    private StreamThreadTimes() { }

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
