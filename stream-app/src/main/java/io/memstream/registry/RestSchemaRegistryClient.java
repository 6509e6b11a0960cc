package io.memstream.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLHandshakeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * Talks to a Confluent-compatible Schema Registry over its REST API with {@code java.net.http}.
 * Ids and schemas are immutable in a registry, so they are cached for the life of the client;
 * {@link #latest} and compatibility checks always ask the registry.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT =
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";

    private final RegistryClientConfig config;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<SubjectSchema, Integer> registeredIds = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, RegisteredSchema> lookups = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<UUID, Schema> schemasByGuid = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) {
    }

    public RestSchemaRegistryClient(RegistryClientConfig config) {
        this.config = config;
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(config.timeout());
        config.trustStore().ifPresent(store -> http.sslContext(store.sslContext()));
        this.http = http.build();
    }

    @Override
    public int register(String subject, Schema schema) {
        return registeredIds.computeIfAbsent(new SubjectSchema(subject, schema), key -> {
            JsonNode answer = call("POST", "/subjects/" + segment(subject) + "/versions", schemaBody(schema),
                    "registering a schema under subject '" + subject + "'");
            int id = requiredInt(answer, "id");
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        return lookups.computeIfAbsent(new SubjectSchema(subject, schema), key -> {
            JsonNode answer = call("POST", "/subjects/" + segment(subject), schemaBody(schema),
                    "looking up a schema under subject '" + subject + "'");
            RegisteredSchema found = new RegisteredSchema(subject, requiredInt(answer, "id"),
                    requiredInt(answer, "version"), schema);
            schemasById.putIfAbsent(found.id(), schema);
            return found;
        });
    }

    @Override
    public Schema schemaById(int id) {
        return schemasById.computeIfAbsent(id, key ->
                parseSchema(call("GET", "/schemas/ids/" + id, null, "fetching schema id " + id), "schema id " + id));
    }

    @Override
    public Schema schemaByGuid(UUID guid) {
        return schemasByGuid.computeIfAbsent(guid, key ->
                parseSchema(call("GET", "/schemas/guids/" + guid, null, "fetching schema GUID " + guid),
                        "schema GUID " + guid));
    }

    @Override
    public RegisteredSchema latest(String subject) {
        JsonNode answer = call("GET", "/subjects/" + segment(subject) + "/versions/latest", null,
                "fetching the latest version of subject '" + subject + "'");
        Schema schema = parseSchema(answer, "latest version of subject '" + subject + "'");
        int id = requiredInt(answer, "id");
        schemasById.putIfAbsent(id, schema);
        return new RegisteredSchema(subject, id, requiredInt(answer, "version"), schema);
    }

    @Override
    public boolean isCompatibleWithLatest(String subject, Schema schema) {
        try {
            JsonNode answer = call("POST", "/compatibility/subjects/" + segment(subject) + "/versions/latest",
                    schemaBody(schema), "checking compatibility with subject '" + subject + "'");
            return answer.path("is_compatible").asBoolean(false);
        } catch (SchemaNotFoundException e) {
            // A subject with no version yet accepts any schema as its first.
            return true;
        }
    }

    private String schemaBody(Schema schema) {
        ObjectNode body = json.createObjectNode();
        body.put("schema", schema.toString());
        return body.toString();
    }

    /** One pass over the configured URLs: the answer, or the last transient failure when none answered. */
    private record Attempt(JsonNode answer, SchemaRegistryException transientFailure) {
    }

    /**
     * One request: each configured URL in turn, the whole round retried with a doubling wait while
     * the failures are transient (unreachable, HTTP 5xx, 429). Any other error answer is final, and
     * so is a failed TLS handshake. Exhausted retries end in a {@link RegistryUnavailableException}.
     */
    private JsonNode call(String method, String path, String body, String what) {
        long waitMillis = config.retryWait().toMillis();
        for (int attempt = 0; ; attempt++) {
            Attempt result = tryEachUrl(method, path, body, what);
            if (result.answer() != null) {
                return result.answer();
            }
            if (result.transientFailure() instanceof RegistryUnavailableException notRetried) {
                throw notRetried;
            }
            if (attempt >= config.maxRetries()) {
                SchemaRegistryException failure = result.transientFailure();
                throw new RegistryUnavailableException(failure.getMessage() + " (" + (attempt + 1) + " attempts)",
                        failure.errorCode(), failure.getCause());
            }
            try {
                Thread.sleep(waitMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException("Interrupted while " + what, -1, e);
            }
            waitMillis *= 2;
        }
    }

    private Attempt tryEachUrl(String method, String path, String body, String what) {
        SchemaRegistryException lastFailure = null;
        for (URI base : config.urls()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(config.timeout())
                    .header("Accept", ACCEPT);
            config.authorization().ifPresent(value -> request.header("Authorization", value));
            if (body == null) {
                request.GET();
            } else {
                request.header("Content-Type", CONTENT_TYPE)
                        .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            }
            HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (SSLHandshakeException e) {
                // A certificate the trust store does not accept will not be accepted on a retry either:
                // the next URL may still answer, but no round is repeated for this (see call).
                lastFailure = new RegistryUnavailableException("TLS handshake with the schema registry at " + base
                        + " failed while " + what + ": " + e.getMessage() + " (a private CA needs "
                        + RegistryTrustStore.LOCATION + ")", -1, e);
                continue;
            } catch (IOException e) {
                lastFailure = new SchemaRegistryException("Schema registry at " + base + " unreachable while "
                        + what + ": " + e, -1, e);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException("Interrupted while " + what, -1, e);
            }
            int status = response.statusCode();
            if (status >= 500 || status == 429) {
                lastFailure = error(response, base, what);
                continue;
            }
            if (status / 100 != 2) {
                throw error(response, base, what);
            }
            try {
                return new Attempt(json.readTree(response.body()), null);
            } catch (IOException e) {
                throw new SchemaRegistryException("Schema registry at " + base + " sent a body that is not JSON while "
                        + what, status, e);
            }
        }
        return new Attempt(null, lastFailure);
    }

    private SchemaRegistryException error(HttpResponse<String> response, URI base, String what) {
        int status = response.statusCode();
        Optional<JsonNode> body = parseQuietly(response.body());
        // Some registries send error_code 0 for errors of their web layer: the HTTP status says more then.
        int code = body.map(b -> b.path("error_code").asInt(status)).filter(c -> c > 0).orElse(status);
        String detail = body.map(b -> b.path("message").asText("")).filter(m -> !m.isBlank())
                .orElse(abbreviate(response.body()));
        String message = "Schema registry at " + base + " answered HTTP " + status + " (error " + code + ") while "
                + what + ": " + detail;
        if (status == 401 || status == 403) {
            return new RegistryAccessDeniedException(message, code);
        }
        if (code == 40401 || code == 40402 || code == 40403 || status == 404) {
            return new SchemaNotFoundException(message, code);
        }
        if (code == 40901 || status == 409) {
            return new IncompatibleSchemaException(message, code);
        }
        if (code == 42201 || status == 422) {
            return new InvalidSchemaException(message, code);
        }
        return new SchemaRegistryException(message, code);
    }

    private Optional<JsonNode> parseQuietly(String body) {
        try {
            JsonNode node = json.readTree(body);
            return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String abbreviate(String text) {
        String flat = text == null ? "" : text.replaceAll("\\s+", " ").trim();
        return flat.length() > 200 ? flat.substring(0, 200) + "..." : flat;
    }

    private static Schema parseSchema(JsonNode answer, String what) {
        String type = answer.path("schemaType").asText("AVRO");
        if (!"AVRO".equalsIgnoreCase(type)) {
            throw new InvalidSchemaException(what + " is a " + type + " schema; memstream reads Avro only", 42201);
        }
        if (answer.path("references").size() > 0) {
            throw new InvalidSchemaException(what + " uses schema references, which memstream does not resolve", 42201);
        }
        String text = answer.path("schema").asText(null);
        if (text == null) {
            throw new InvalidSchemaException("The registry's answer for " + what + " has no schema", 42201);
        }
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new InvalidSchemaException("The registry's schema for " + what + " is not valid Avro: "
                    + e.getMessage(), 42201);
        }
    }

    private static int requiredInt(JsonNode answer, String field) {
        JsonNode value = answer.get(field);
        if (value == null || !value.canConvertToInt()) {
            throw new SchemaRegistryException("The registry's answer has no integer '" + field + "': "
                    + abbreviate(answer.toString()), -1);
        }
        return value.asInt();
    }

    private static String segment(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public String toString() {
        return "RestSchemaRegistryClient" + config.urls();
    }
}
