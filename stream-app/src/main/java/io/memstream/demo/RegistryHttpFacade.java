package io.memstream.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.memstream.registry.IncompatibleSchemaException;
import io.memstream.registry.RegisteredSchema;
import io.memstream.registry.SchemaNotFoundException;
import io.memstream.registry.SchemaRegistryClient;
import io.memstream.registry.SchemaRegistryException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;

/**
 * The demo's in-process registry served over HTTP on loopback with the part of the Confluent REST
 * API that memstream's clients call, so that {@code publish} and {@code follow} in another terminal
 * share schema ids with the demo while it keeps running. A demo tool, not a registry to deploy.
 */
public final class RegistryHttpFacade implements AutoCloseable {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Pattern VERSIONS = Pattern.compile("/subjects/([^/]+)/versions");
    private static final Pattern SUBJECT = Pattern.compile("/subjects/([^/]+)");
    private static final Pattern LATEST = Pattern.compile("/subjects/([^/]+)/versions/latest");
    private static final Pattern COMPATIBILITY = Pattern.compile("/compatibility/subjects/([^/]+)/versions/latest");
    private static final Pattern BY_ID = Pattern.compile("/schemas/ids/(\\d+)");
    private static final Pattern BY_GUID = Pattern.compile("/schemas/guids/([0-9a-fA-F-]{36})");

    private final ObjectMapper json = new ObjectMapper();
    private final SchemaRegistryClient registry;
    private final HttpServer server;
    private final ExecutorService executor;

    private RegistryHttpFacade(SchemaRegistryClient registry) throws IOException {
        this.registry = registry;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        this.executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "memstream-demo-registry");
            thread.setDaemon(true);
            return thread;
        });
        server.createContext("/", this::handle);
        server.setExecutor(executor);
    }

    /** Serves {@code registry} on a free loopback port. */
    public static RegistryHttpFacade start(SchemaRegistryClient registry) throws IOException {
        RegistryHttpFacade facade = new RegistryHttpFacade(registry);
        facade.server.start();
        return facade;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        try {
            ObjectNode answer = json.createObjectNode();
            Matcher m;
            if (method.equals("POST") && (m = COMPATIBILITY.matcher(path)).matches()) {
                answer.put("is_compatible", registry.isCompatibleWithLatest(m.group(1), schemaOf(exchange)));
            } else if (method.equals("POST") && (m = VERSIONS.matcher(path)).matches()) {
                answer.put("id", registry.register(m.group(1), schemaOf(exchange)));
            } else if (method.equals("POST") && (m = SUBJECT.matcher(path)).matches()) {
                describe(answer, registry.lookup(m.group(1), schemaOf(exchange)));
            } else if (method.equals("GET") && (m = LATEST.matcher(path)).matches()) {
                describe(answer, registry.latest(m.group(1)));
            } else if (method.equals("GET") && (m = BY_ID.matcher(path)).matches()) {
                answer.put("schema", registry.schemaById(Integer.parseInt(m.group(1))).toString());
            } else if (method.equals("GET") && (m = BY_GUID.matcher(path)).matches()) {
                answer.put("schema", registry.schemaByGuid(UUID.fromString(m.group(1))).toString());
            } else {
                send(exchange, 404, error(404, "no such endpoint in the demo registry: " + method + " " + path));
                return;
            }
            send(exchange, 200, answer);
        } catch (SchemaNotFoundException e) {
            send(exchange, 404, error(e.errorCode(), e.getMessage()));
        } catch (IncompatibleSchemaException e) {
            send(exchange, 409, error(e.errorCode(), e.getMessage()));
        } catch (SchemaRegistryException | IllegalArgumentException | org.apache.avro.SchemaParseException e) {
            send(exchange, 422, error(42201, e.getMessage()));
        } catch (RuntimeException e) {
            send(exchange, 500, error(50001, e.toString()));
        }
    }

    private void describe(ObjectNode answer, RegisteredSchema found) {
        answer.put("subject", found.subject());
        answer.put("id", found.id());
        answer.put("version", found.version());
        answer.put("schema", found.schema().toString());
    }

    private Schema schemaOf(HttpExchange exchange) throws IOException {
        JsonNode body = json.readTree(exchange.getRequestBody().readAllBytes());
        JsonNode text = body == null ? null : body.get("schema");
        if (text == null || !text.isTextual()) {
            throw new IllegalArgumentException("the request body needs a \"schema\" string");
        }
        return new Schema.Parser().parse(text.asText());
    }

    private ObjectNode error(int code, String message) {
        ObjectNode error = json.createObjectNode();
        error.put("error_code", code);
        error.put("message", message);
        return error;
    }

    private void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
