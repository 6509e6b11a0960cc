package io.memstream.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.embedded.FreePort;
import io.memstream.schema.Continuation;
import io.memstream.schema.TokenChunk;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RestSchemaRegistryClientTest {
    private static final Schema CHUNK = TokenChunk.getClassSchema();
    private FakeRegistryServer server;

    @BeforeEach
    void start() throws Exception {
        server = new FakeRegistryServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RestSchemaRegistryClient client(Map<String, Object> extra) {
        Map<String, Object> configs = new HashMap<>(extra);
        configs.putIfAbsent(RegistryClientConfig.URL, server.url().toString());
        return new RestSchemaRegistryClient(RegistryClientConfig.from(configs));
    }

    @Test
    void registersLooksUpAndFetchesWithTheRegistryContentType() {
        RestSchemaRegistryClient client = client(Map.of());
        int id = client.register("chunks-value", CHUNK);
        int otherId = client.register("out-value", Continuation.getClassSchema());
        assertTrue(otherId != id);

        RegisteredSchema found = client.lookup("chunks-value", CHUNK);
        assertEquals(id, found.id());
        assertEquals(1, found.version());
        assertEquals(CHUNK, new RestSchemaRegistryClient(RegistryClientConfig.from(
                Map.of(RegistryClientConfig.URL, server.url().toString()))).schemaById(id));
        assertEquals(id, client.latest("chunks-value").id());
        assertTrue(client.isCompatibleWithLatest("chunks-value", CHUNK));
        assertTrue(client.isCompatibleWithLatest("no-such-subject", CHUNK), "a new subject accepts any first schema");

        FakeRegistryServer.Seen register = server.requests.get(0);
        assertEquals("/subjects/chunks-value/versions", register.path());
        assertEquals(RestSchemaRegistryClient.CONTENT_TYPE, register.contentType());
        assertTrue(register.body().contains("\"schema\""));
    }

    @Test
    void cachesIdsAndSchemasButNotTheLatestVersion() {
        RestSchemaRegistryClient client = client(Map.of());
        int id = client.register("chunks-value", CHUNK);
        client.register("chunks-value", CHUNK);
        client.schemaById(id);
        client.latest("chunks-value");
        client.latest("chunks-value");
        assertEquals(1, server.count("POST", "/subjects/chunks-value/versions"));
        assertEquals(0, server.count("GET", "/schemas/ids/"), "the id of a registered schema is known");
        assertEquals(2, server.count("GET", "/subjects/chunks-value/versions/latest"));

        RestSchemaRegistryClient reader = client(Map.of());
        assertEquals(CHUNK, reader.schemaById(id));
        assertEquals(CHUNK, reader.schemaById(id));
        assertEquals(1, server.count("GET", "/schemas/ids/" + id), "a schema fetched by id is cached");
    }

    @Test
    void sendsBasicAuthFromUserInfoAndHidesItInToString() {
        RegistryClientConfig config = RegistryClientConfig.from(Map.of(RegistryClientConfig.URL, server.url().toString(),
                RegistryClientConfig.CREDENTIALS_SOURCE, "USER_INFO", RegistryClientConfig.USER_INFO, "alice:s3cret"));
        new RestSchemaRegistryClient(config).register("chunks-value", CHUNK);
        String expected = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
        assertEquals(expected, server.requests.get(0).authorization());
        assertFalse(config.toString().contains("s3cret"));
        assertFalse(config.toString().contains(expected));
    }

    @Test
    void takesCredentialsFromTheUrlAndNeverPrintsThem() {
        String url = server.url().toString().replace("http://", "http://bob:pa%40ss@");
        RegistryClientConfig config = RegistryClientConfig.from(Map.of(RegistryClientConfig.URL, url));
        new RestSchemaRegistryClient(config).register("chunks-value", CHUNK);
        String expected = "Basic " + Base64.getEncoder().encodeToString("bob:pa@ss".getBytes(StandardCharsets.UTF_8));
        assertEquals(expected, server.requests.get(0).authorization());
        assertFalse(config.urls().toString().contains("bob"));
        assertEquals("http://***@h:1", RegistryUrls.redact("http://bob:pa%40ss@h:1"));
    }

    @Test
    void userInfoSourceWithoutUserInfoIsAConfigError() {
        var error = assertThrows(org.apache.kafka.common.config.ConfigException.class, () -> RegistryClientConfig.from(
                Map.of(RegistryClientConfig.URL, "http://x", RegistryClientConfig.CREDENTIALS_SOURCE, "USER_INFO")));
        assertTrue(error.getMessage().contains(RegistryClientConfig.USER_INFO));
        assertThrows(org.apache.kafka.common.config.ConfigException.class, () -> RegistryClientConfig.from(
                Map.of(RegistryClientConfig.URL, "http://x", RegistryClientConfig.CREDENTIALS_SOURCE, "SASL_INHERIT")));
        assertThrows(org.apache.kafka.common.config.ConfigException.class, () -> RegistryClientConfig.from(
                Map.of(RegistryClientConfig.URL, "ftp://x")));
    }

    @Test
    void mapsRegistryErrorCodesToExceptions() {
        RestSchemaRegistryClient client = client(Map.of());
        server.answer("/subjects/incompatible", 409,
                "{\"error_code\":40901,\"message\":\"Schema being registered is incompatible\"}");
        server.answer("/subjects/invalid", 422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
        server.answer("/subjects/locked", 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
        server.answer("/subjects/broken", 500, "<html>proxy error</html>");

        var incompatible = assertThrows(IncompatibleSchemaException.class, () -> client.register("incompatible", CHUNK));
        assertEquals(40901, incompatible.errorCode());
        assertTrue(incompatible.getMessage().contains("incompatible"));
        assertEquals(42201, assertThrows(InvalidSchemaException.class, () -> client.register("invalid", CHUNK))
                .errorCode());
        assertThrows(RegistryAccessDeniedException.class, () -> client.register("locked", CHUNK));
        var broken = assertThrows(SchemaRegistryException.class, () -> client.register("broken", CHUNK));
        assertEquals(500, broken.errorCode());
        assertTrue(broken.getMessage().contains("proxy error"));

        assertEquals(40403, assertThrows(SchemaNotFoundException.class, () -> client.schemaById(42)).errorCode());
        assertEquals(40401, assertThrows(SchemaNotFoundException.class, () -> client.latest("nothing")).errorCode());
        assertEquals(40401, assertThrows(SchemaNotFoundException.class, () -> client.lookup("nothing", CHUNK))
                .errorCode());
    }

    @Test
    void refusesNonAvroSchemasAndReferences() {
        RestSchemaRegistryClient client = client(Map.of());
        server.answer("/schemas/ids/7", 200, "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}");
        server.answer("/schemas/ids/8", 200,
                "{\"schema\":\"\\\"string\\\"\",\"references\":[{\"name\":\"x\",\"subject\":\"y\",\"version\":1}]}");
        assertTrue(assertThrows(InvalidSchemaException.class, () -> client.schemaById(7)).getMessage()
                .contains("PROTOBUF"));
        assertTrue(assertThrows(InvalidSchemaException.class, () -> client.schemaById(8)).getMessage()
                .contains("references"));
    }

    @Test
    void triesTheNextUrlWhenOneIsDownAndReportsUnreachableRegistries() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        String dead = "http://127.0.0.1:" + deadPort;
        RestSchemaRegistryClient failover = client(Map.of(RegistryClientConfig.URL, dead + "," + server.url()));
        assertEquals(1, failover.register("chunks-value", CHUNK));

        RestSchemaRegistryClient unreachable = client(Map.of(RegistryClientConfig.URL, dead));
        var error = assertThrows(SchemaRegistryException.class, () -> unreachable.schemaById(1));
        assertEquals(-1, error.errorCode());
        assertTrue(error.getMessage().contains("unreachable"));
    }

    @Test
    void serdeWorksEndToEndOverRest() {
        Map<String, Object> configs = Map.of(RegistryClientConfig.URL, server.url().toString());
        RegistryAvroSerde<TokenChunk> serde = new RegistryAvroSerde<>(TokenChunk.class, configs, false);
        TokenChunk chunk = TokenChunks.text("s-1", 3, "over HTTP");
        byte[] bytes = serde.serializer().serialize("chunks", chunk);
        RegistryAvroSerde<TokenChunk> reader = new RegistryAvroSerde<>(TokenChunk.class, configs, false);
        assertEquals(chunk, reader.deserializer().deserialize("chunks", bytes));
        assertInstanceOf(RestSchemaRegistryClient.class, reader.registry());
        assertEquals(1, server.count("GET", "/schemas/ids/1"));
    }

    @Test
    void retriesTransientFailuresWithBackoffButNotErrorAnswers() {
        RestSchemaRegistryClient client = client(Map.of(RegistryClientConfig.RETRY_WAIT_MS, "10"));
        server.failNext(2, 503);
        assertEquals(1, client.register("chunks-value", CHUNK), "third attempt succeeds");
        assertEquals(3, server.count("POST", "/subjects/chunks-value/versions"));

        server.failNext(10, 429);
        var exhausted = assertThrows(SchemaRegistryException.class, () -> client.schemaById(5));
        assertTrue(exhausted.getMessage().contains("(4 attempts)"), exhausted.getMessage());
        assertEquals(4, server.count("GET", "/schemas/ids/5"), "1 try + 3 retries by default");

        server.failNext(0, 0);
        assertThrows(SchemaNotFoundException.class, () -> client.schemaById(77));
        assertEquals(1, server.count("GET", "/schemas/ids/77"), "a 404 is an answer, not an outage");

        RestSchemaRegistryClient noRetries = client(Map.of(RegistryClientConfig.MAX_RETRIES, "0"));
        server.failNext(1, 500);
        assertThrows(SchemaRegistryException.class, () -> noRetries.schemaById(1));
        assertThrows(org.apache.kafka.common.config.ConfigException.class,
                () -> client(Map.of(RegistryClientConfig.MAX_RETRIES, "-1")));
    }

    @Test
    void waitsLongerBeforeEachRetry() {
        RestSchemaRegistryClient client = client(Map.of(RegistryClientConfig.RETRY_WAIT_MS, "100"));
        server.failNext(3, 503);
        assertEquals(1, client.register("chunks-value", CHUNK), "the fourth attempt succeeds");
        List<Long> at = server.requests.stream().map(FakeRegistryServer.Seen::atNanos).toList();
        assertEquals(4, at.size());
        long[] expectedWaits = {100, 200, 400};
        for (int i = 0; i < 3; i++) {
            long waited = TimeUnit.NANOSECONDS.toMillis(at.get(i + 1) - at.get(i));
            assertTrue(waited >= expectedWaits[i], "wait before retry " + (i + 1) + ": " + waited + " ms, expected "
                    + expectedWaits[i] + " ms or more");
        }
    }

    @Test
    void errorAnswersAreNeverRetried() {
        RestSchemaRegistryClient client = client(Map.of(RegistryClientConfig.RETRY_WAIT_MS, "10"));
        server.answer("/subjects/incompatible", 409, "{\"error_code\":40901,\"message\":\"incompatible\"}");
        server.answer("/subjects/invalid", 422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
        server.answer("/subjects/bad-request", 400, "{\"error_code\":400,\"message\":\"bad\"}");
        assertThrows(IncompatibleSchemaException.class, () -> client.register("incompatible", CHUNK));
        assertThrows(InvalidSchemaException.class, () -> client.register("invalid", CHUNK));
        assertThrows(SchemaRegistryException.class, () -> client.register("bad-request", CHUNK));
        assertEquals(1, server.count("POST", "/subjects/incompatible/"));
        assertEquals(1, server.count("POST", "/subjects/invalid/"));
        assertEquals(1, server.count("POST", "/subjects/bad-request/"));
    }

    @Test
    void connectionFailuresAreRetriedThenReportedAsUnavailable() throws Exception {
        String dead = "http://127.0.0.1:" + FreePort.pick();
        RestSchemaRegistryClient client = client(Map.of(RegistryClientConfig.URL, dead,
                RegistryClientConfig.MAX_RETRIES, "2", RegistryClientConfig.RETRY_WAIT_MS, "100"));
        long start = System.nanoTime();
        var error = assertThrows(RegistryUnavailableException.class, () -> client.schemaById(1));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(error.getMessage().contains("(3 attempts)"), error.getMessage());
        assertTrue(millis >= 300, "waited 100 + 200 ms between the attempts: " + millis + " ms");
        assertTrue(SchemaRegistryException.isRegistrysFault(error));
    }

    @Test
    void aRegistryTooSlowToAnswerTimesOut() {
        RestSchemaRegistryClient client = client(Map.of(RegistryClientConfig.REQUEST_TIMEOUT_MS, "300",
                RegistryClientConfig.MAX_RETRIES, "0"));
        server.stallNext(1, 3000);
        // Had the client waited for the stalled answer, it would have got the fake's 404 for id 1 instead.
        var error = assertThrows(RegistryUnavailableException.class, () -> client.schemaById(1));
        assertInstanceOf(java.net.http.HttpTimeoutException.class, error.getCause(), error.getMessage());
        assertTrue(error.getMessage().contains("timed out"), error.getMessage());
    }

    @Test
    void credentialsAppearInNoExceptionMessage() throws Exception {
        String urlPassword = "url-pw-Zq81";
        String infoPassword = "info-pw-Kx27";
        String withUrlCredentials = server.url().toString().replace("http://", "http://bob:" + urlPassword + "@");
        String deadWithCredentials = "http://bob:" + urlPassword + "@127.0.0.1:" + FreePort.pick();
        Map<String, Object> userInfo = Map.of(RegistryClientConfig.CREDENTIALS_SOURCE, "USER_INFO",
                RegistryClientConfig.USER_INFO, "alice:" + infoPassword, RegistryClientConfig.RETRY_WAIT_MS, "1");
        server.answer("/subjects/locked", 401, "{\"error_code\":40101,\"message\":\"Unauthorized\"}");
        server.answer("/schemas/ids/9", 500, "{\"error_code\":50001,\"message\":\"store error\"}");

        List<Throwable> failures = new ArrayList<>();
        for (Map<String, Object> auth : List.of(Map.<String, Object>of(RegistryClientConfig.URL, withUrlCredentials,
                RegistryClientConfig.RETRY_WAIT_MS, "1"), userInfo)) {
            RestSchemaRegistryClient client = client(auth);
            failures.add(assertThrows(RegistryAccessDeniedException.class, () -> client.register("locked", CHUNK)));
            failures.add(assertThrows(RegistryUnavailableException.class, () -> client.schemaById(9)));
            failures.add(assertThrows(SchemaNotFoundException.class, () -> client.schemaById(404)));
            Map<String, Object> serdeConfigs = new HashMap<>(auth);
            serdeConfigs.putIfAbsent(RegistryClientConfig.URL, server.url().toString());
            failures.add(assertThrows(org.apache.kafka.common.errors.SerializationException.class,
                    () -> new RegistryAvroSerde<>(TokenChunk.class, serdeConfigs, false).serializer()
                            .serialize("locked", TokenChunks.text("s", 0, "x"))));
        }
        failures.add(assertThrows(RegistryUnavailableException.class, () -> client(Map.of(RegistryClientConfig.URL,
                deadWithCredentials, RegistryClientConfig.MAX_RETRIES, "0")).schemaById(1)));
        failures.add(assertThrows(org.apache.kafka.common.config.ConfigException.class, () -> RegistryClientConfig.from(
                Map.of(RegistryClientConfig.URL, "ftp://bob:" + urlPassword + "@host"))));
        failures.add(assertThrows(org.apache.kafka.common.config.ConfigException.class, () -> RegistryClientConfig.from(
                Map.of(RegistryClientConfig.URL, "http://h", RegistryClientConfig.CREDENTIALS_SOURCE, "USER_INFO",
                        RegistryClientConfig.USER_INFO, infoPassword))));

        List<String> secrets = List.of(urlPassword, infoPassword, base64("bob:" + urlPassword),
                base64("alice:" + infoPassword));
        for (Throwable failure : failures) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                for (String secret : secrets) {
                    assertFalse(String.valueOf(t).contains(secret), "a credential in: " + t);
                }
            }
        }
        assertEquals(11, failures.size(), "every failure above was checked");
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
