package io.memstream.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpEndpointsTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path stateDir;

    private HttpResponse<String> call(HttpEndpoints endpoints, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoints.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesJvmProcessAndAppMetricsInPrometheusFormat() throws Exception {
        try (AppMeters meters = new AppMeters();
             HttpEndpoints endpoints = HttpEndpoints.start("127.0.0.1", 0, meters.registry(), () -> null)) {
            meters.registry().counter("memstream.test.events").increment(3);
            // Meters must survive a collection: Micrometer holds gauge objects weakly.
            System.gc();
            HttpResponse<String> response = call(endpoints, "GET", "/metrics");
            assertEquals(200, response.statusCode());
            assertEquals(HttpEndpoints.PROMETHEUS_TEXT, response.headers().firstValue("Content-Type").orElseThrow());
            String body = response.body();
            assertTrue(body.contains("memstream_test_events_total 3.0"), body);
            assertTrue(body.contains("jvm_memory_used_bytes{"), "JVM meters");
            Matcher rss = Pattern.compile("(?m)^process_memory_rss_bytes (\\S+)$").matcher(body);
            assertTrue(rss.find(), "native memory of the process");
            assertTrue(Double.parseDouble(rss.group(1)) > 1e6, "resident set size " + rss.group(1));
            assertTrue(body.contains("jvm_gc_"), "GC meters");
        }
    }

    @Test
    void healthFollowsTheStreamsState() throws Exception {
        AtomicReference<KafkaStreams.State> state = new AtomicReference<>();
        try (AppMeters meters = new AppMeters();
             HttpEndpoints endpoints = HttpEndpoints.start("127.0.0.1", 0, meters.registry(), state::get)) {
            HttpResponse<String> notStarted = call(endpoints, "GET", "/health");
            assertEquals(503, notStarted.statusCode());
            assertTrue(notStarted.body().contains("NOT_STARTED"));

            state.set(KafkaStreams.State.RUNNING);
            HttpResponse<String> running = call(endpoints, "GET", "/health");
            assertEquals(200, running.statusCode());
            assertEquals("{\"status\":\"UP\",\"streams\":\"RUNNING\"}\n", running.body());

            state.set(KafkaStreams.State.ERROR);
            assertEquals(503, call(endpoints, "GET", "/health").statusCode());
            assertEquals(405, call(endpoints, "POST", "/health").statusCode());
            assertEquals(404, call(endpoints, "GET", "/admin").statusCode());
            assertEquals("127.0.0.1", endpoints.host());
        }
    }

    @Test
    void publishesKafkaStreamsClientMetrics() throws Exception {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("in").to("out");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "metrics-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        try (AppMeters meters = new AppMeters();
             KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            meters.bind(streams);
            String scrape = meters.registry().scrape();
            assertTrue(scrape.contains("kafka_stream_"), "no Kafka Streams client metrics in:\n"
                    + scrape.lines().filter(l -> l.startsWith("kafka")).limit(20).toList());
        }
    }

    @Test
    void streamSummariesWaitForKafkaStreamsAndNeedAnId() throws Exception {
        try (AppMeters meters = new AppMeters();
             HttpEndpoints endpoints = HttpEndpoints.start("127.0.0.1", 0, meters.registry(), () -> null, () -> null)) {
            HttpResponse<String> early = call(endpoints, "GET", "/streams/doc-1");
            assertEquals(503, early.statusCode());
            assertEquals("application/json", early.headers().firstValue("Content-Type").orElseThrow());
            assertTrue(early.body().contains("not started"), early.body());
            assertEquals(404, call(endpoints, "GET", "/streams/").statusCode());
            assertEquals(405, call(endpoints, "POST", "/streams/doc-1").statusCode());
        }
    }

    @Test
    void streamIdsArePercentDecoded() {
        assertEquals("books/exodus 2", HttpEndpoints.streamId(URI.create("http://h/streams/books%2Fexodus%202?forwarded=true")));
    }
}
