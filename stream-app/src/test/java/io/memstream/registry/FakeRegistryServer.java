package io.memstream.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A Confluent REST API stand-in on a JDK HttpServer, for unit tests of the REST client: enough of the
 * API to store and serve schemas, plus canned error answers and a record of every request.
 */
final class FakeRegistryServer implements AutoCloseable {
    record Seen(String method, String path, String contentType, String authorization, String body, long atNanos) {
    }

    record Canned(int status, String body) {
    }

    private final HttpServer server;
    private final ObjectMapper json = new ObjectMapper();
    private final List<String> schemas = new ArrayList<>();
    private final Map<String, List<Integer>> subjects = new LinkedHashMap<>();
    private final Map<String, Canned> cannedByPathPrefix = new LinkedHashMap<>();
    final List<Seen> requests = new CopyOnWriteArrayList<>();
    /** TLS connections accepted (HTTPS only), counted before their handshake. */
    final AtomicInteger tlsConnections = new AtomicInteger();
    private int failuresLeft;
    private int failureStatus;
    private int stallsLeft;
    private long stallMillis;

    FakeRegistryServer() throws IOException {
        this(null);
    }

    /** Over HTTPS with the server certificate of {@code tls}, or plain HTTP when it is null. */
    FakeRegistryServer(SSLContext tls) throws IOException {
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        if (tls == null) {
            server = HttpServer.create(loopback, 0);
        } else {
            HttpsServer https = HttpsServer.create(loopback, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters params) {
                    // Called once for every TLS connection, whether or not its handshake succeeds.
                    tlsConnections.incrementAndGet();
                    params.setSSLParameters(getSSLContext().getDefaultSSLParameters());
                }
            });
            server = https;
        }
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Every request whose path starts with {@code pathPrefix} gets this answer. */
    synchronized void answer(String pathPrefix, int status, String body) {
        cannedByPathPrefix.put(pathPrefix, new Canned(status, body));
    }

    /** The next {@code n} requests, whatever they ask, get HTTP {@code status} (an outage). */
    synchronized void failNext(int n, int status) {
        failuresLeft = n;
        failureStatus = status;
    }

    /** The next {@code n} requests are answered only after {@code millis} (a registry too slow to answer). */
    synchronized void stallNext(int n, long millis) {
        stallsLeft = n;
        stallMillis = millis;
    }

    long count(String method, String pathPrefix) {
        return requests.stream().filter(r -> r.method().equals(method) && r.path().startsWith(pathPrefix)).count();
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = exchange.getRequestURI().getRawPath();
        requests.add(new Seen(exchange.getRequestMethod(), path, exchange.getRequestHeaders().getFirst("Content-Type"),
                exchange.getRequestHeaders().getFirst("Authorization"), body, System.nanoTime()));
        if (stallsLeft > 0) {
            stallsLeft--;
            try {
                Thread.sleep(stallMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failuresLeft > 0) {
            failuresLeft--;
            send(exchange, failureStatus, "{\"error_code\":" + failureStatus + ",\"message\":\"outage\"}");
            return;
        }
        for (Map.Entry<String, Canned> canned : cannedByPathPrefix.entrySet()) {
            if (path.startsWith(canned.getKey())) {
                send(exchange, canned.getValue().status(), canned.getValue().body());
                return;
            }
        }
        String[] parts = path.substring(1).split("/");
        String method = exchange.getRequestMethod();
        if (method.equals("POST") && parts.length == 3 && parts[0].equals("subjects") && parts[2].equals("versions")) {
            String schema = json.readTree(body).get("schema").asText();
            int id = schemas.indexOf(schema) + 1;
            if (id == 0) {
                schemas.add(schema);
                id = schemas.size();
            }
            List<Integer> versions = subjects.computeIfAbsent(parts[1], s -> new ArrayList<>());
            if (!versions.contains(id)) {
                versions.add(id);
            }
            send(exchange, 200, "{\"id\":" + id + "}");
        } else if (method.equals("POST") && parts.length == 2 && parts[0].equals("subjects")) {
            String schema = json.readTree(body).get("schema").asText();
            List<Integer> versions = subjects.get(parts[1]);
            int id = schemas.indexOf(schema) + 1;
            if (versions == null) {
                send(exchange, 404, "{\"error_code\":40401,\"message\":\"Subject '" + parts[1] + "' not found.\"}");
            } else if (!versions.contains(id)) {
                send(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
            } else {
                send(exchange, 200, entry(parts[1], id, versions.indexOf(id) + 1).toString());
            }
        } else if (method.equals("GET") && parts.length == 3 && parts[0].equals("schemas") && parts[1].equals("ids")) {
            int id = Integer.parseInt(parts[2]);
            if (id < 1 || id > schemas.size()) {
                send(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema " + id + " not found\"}");
            } else {
                ObjectNode answer = json.createObjectNode().put("schema", schemas.get(id - 1));
                send(exchange, 200, answer.toString());
            }
        } else if (method.equals("GET") && parts.length == 4 && parts[3].equals("latest")) {
            List<Integer> versions = subjects.get(parts[1]);
            if (versions == null) {
                send(exchange, 404, "{\"error_code\":40401,\"message\":\"Subject not found.\"}");
            } else {
                send(exchange, 200, entry(parts[1], versions.get(versions.size() - 1), versions.size()).toString());
            }
        } else if (method.equals("POST") && parts[0].equals("compatibility")) {
            if (!subjects.containsKey(parts[2])) {
                send(exchange, 404, "{\"error_code\":40401,\"message\":\"Subject not found.\"}");
            } else {
                send(exchange, 200, "{\"is_compatible\":true}");
            }
        } else {
            send(exchange, 404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
        }
    }

    private JsonNode entry(String subject, int id, int version) {
        return json.createObjectNode().put("subject", subject).put("id", id).put("version", version)
                .put("schema", schemas.get(id - 1));
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
