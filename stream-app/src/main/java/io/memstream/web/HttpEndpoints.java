package io.memstream.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.memstream.query.StreamLookup;
import io.memstream.query.StreamSummaries;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The app's HTTP face, on the JDK's built-in server: {@code GET /metrics} (Prometheus text format),
 * {@code GET /health} (200 while Kafka Streams runs or rebalances, 503 otherwise, with the state
 * in the body) and {@code GET /streams/{id}} (what memstream holds for a stream, answered by the
 * instance that owns it). Binds where it is told; memstream's default is loopback only.
 */
public final class HttpEndpoints implements AutoCloseable {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    private HttpEndpoints(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts serving on {@code host:port} (port 0: any free port, see {@link #port()}).
     *
     * @param streamsState the current state of the Streams client, or null before it exists
     */
    public static HttpEndpoints start(String host, int port, PrometheusMeterRegistry meters,
                                      Supplier<KafkaStreams.State> streamsState) throws IOException {
        return start(host, port, meters, streamsState, () -> null);
    }

    /**
     * As above, with {@code /streams/{id}} answered by what {@code streamSummaries} supplies (null
     * until Kafka Streams exists: 503 meanwhile).
     */
    public static HttpEndpoints start(String host, int port, PrometheusMeterRegistry meters,
                                      Supplier<KafkaStreams.State> streamsState,
                                      Supplier<StreamSummaries> streamSummaries) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        server.createContext("/metrics", exchange -> {
            if (allowGet(exchange)) {
                send(exchange, 200, PROMETHEUS_TEXT, meters.scrape());
            }
        });
        server.createContext("/health", exchange -> {
            if (allowGet(exchange)) {
                KafkaStreams.State state = streamsState.get();
                boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
                String body = "{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"streams\":\""
                        + (state == null ? "NOT_STARTED" : state.name()) + "\"}\n";
                send(exchange, up ? 200 : 503, "application/json", body);
            }
        });
        server.createContext("/streams/", exchange -> {
            if (allowGet(exchange)) {
                String id = streamId(exchange.getRequestURI());
                StreamSummaries summaries = streamSummaries.get();
                StreamLookup answer;
                if (id.isEmpty()) {
                    answer = new StreamLookup(404, "{\"error\":\"usage: /streams/{id}\"}");
                } else if (summaries == null) {
                    answer = new StreamLookup(503, "{\"error\":\"Kafka Streams is not started\"}");
                } else {
                    answer = summaries.lookup(id, forwarded(exchange.getRequestURI()));
                }
                send(exchange, answer.status(), "application/json", answer.json() + "\n");
            }
        });
        server.createContext("/", exchange -> send(exchange, 404, "text/plain; charset=utf-8",
                "memstream serves /metrics, /health and /streams/{id}\n"));
        ExecutorService executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "memstream-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.start();
        return new HttpEndpoints(server, executor);
    }

    /** The stream id of {@code /streams/{id}}, percent-decoded (ids may hold any character). */
    static String streamId(URI uri) {
        String path = uri.getPath(); // decoded
        return path.substring("/streams/".length());
    }

    private static boolean forwarded(URI uri) {
        String query = uri.getRawQuery();
        return query != null && List.of(query.split("&")).contains("forwarded=true");
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String host() {
        return server.getAddress().getHostString();
    }

    private static boolean allowGet(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            return true;
        }
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        send(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
        return false;
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
