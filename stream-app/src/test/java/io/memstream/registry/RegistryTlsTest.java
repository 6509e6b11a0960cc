package io.memstream.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.schema.TokenChunk;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST client over HTTPS: a registry with a self-signed certificate (made by the JDK's keytool)
 * is trusted through {@code schema.registry.ssl.truststore.*}, refused by the JDK's default trust
 * store with a message saying what to configure, and passwords stay out of every message.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryTlsTest {
    private static final String KEY_PASSWORD = "server-key-pw";
    private static final String TRUST_PASSWORD = "trust-store-pw-42";

    @TempDir
    static Path dir;
    private Path trustStore;
    private FakeRegistryServer server;

    @BeforeAll
    void startHttpsRegistry() throws Exception {
        Path serverStore = dir.resolve("server.p12");
        Path certificate = dir.resolve("registry.pem");
        trustStore = dir.resolve("trust.p12");
        keytool("-genkeypair", "-alias", "registry", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                serverStore.toString(), "-storepass", KEY_PASSWORD, "-keypass", KEY_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "registry", "-keystore", serverStore.toString(), "-storepass",
                KEY_PASSWORD, "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-alias", "registry", "-file", certificate.toString(), "-storetype",
                "PKCS12", "-keystore", trustStore.toString(), "-storepass", TRUST_PASSWORD);
        server = new FakeRegistryServer(serverContext(serverStore));
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private Map<String, Object> configs(Map<String, Object> extra) {
        Map<String, Object> configs = new HashMap<>(extra);
        configs.put(RegistryClientConfig.URL, server.url().toString());
        return configs;
    }

    @Test
    void aConfiguredTrustStoreLetsTheClientInWithUserInfo() {
        RegistryClientConfig config = RegistryClientConfig.from(configs(Map.of(
                RegistryTrustStore.LOCATION, trustStore.toString(), RegistryTrustStore.PASSWORD, TRUST_PASSWORD,
                RegistryClientConfig.CREDENTIALS_SOURCE, "USER_INFO", RegistryClientConfig.USER_INFO, "carol:tls-pw")));
        assertTrue(server.url().toString().startsWith("https://"));
        int id = new RestSchemaRegistryClient(config).register("tls-value", TokenChunk.getClassSchema());
        assertEquals(TokenChunk.getClassSchema(), new RestSchemaRegistryClient(config).schemaById(id));
        FakeRegistryServer.Seen seen = server.requests.stream().filter(r -> r.path().equals("/subjects/tls-value/versions"))
                .findFirst().orElseThrow();
        assertEquals("Basic " + Base64.getEncoder().encodeToString("carol:tls-pw".getBytes(StandardCharsets.UTF_8)),
                seen.authorization());
        assertFalse(config.toString().contains(TRUST_PASSWORD), config.toString());
    }

    @Test
    void theJdkTrustStoreRefusesAnUnknownCertificateWithoutRetrying() {
        long requestsBefore = server.requests.size();
        int connectionsBefore = server.tlsConnections.get();
        RestSchemaRegistryClient client = new RestSchemaRegistryClient(RegistryClientConfig.from(configs(Map.of(
                RegistryClientConfig.MAX_RETRIES, "3", RegistryClientConfig.RETRY_WAIT_MS, "10"))));
        RegistryUnavailableException refused = assertThrows(RegistryUnavailableException.class,
                () -> client.schemaById(1));
        assertTrue(refused.getMessage().contains("TLS handshake"), refused.getMessage());
        assertTrue(refused.getMessage().contains(RegistryTrustStore.LOCATION), refused.getMessage());
        assertEquals(connectionsBefore + 1, server.tlsConnections.get(),
                "one TLS connection: a certificate problem is not retried (3 retries were allowed)");
        assertEquals(requestsBefore, server.requests.size(), "no request got through");
    }

    @Test
    void aWrongTrustStorePasswordIsAConfigErrorThatDoesNotPrintIt() {
        String wrong = "not-the-password-77";
        ConfigException error = assertThrows(ConfigException.class, () -> new RestSchemaRegistryClient(
                RegistryClientConfig.from(configs(Map.of(RegistryTrustStore.LOCATION, trustStore.toString(),
                        RegistryTrustStore.PASSWORD, wrong)))));
        assertTrue(error.getMessage().contains(RegistryTrustStore.LOCATION), error.getMessage());
        assertFalse(error.getMessage().contains(wrong), error.getMessage());
        assertThrows(ConfigException.class, () -> new RestSchemaRegistryClient(RegistryClientConfig.from(configs(
                Map.of(RegistryTrustStore.LOCATION, dir.resolve("missing.p12").toString())))));
    }

    private static SSLContext serverContext(Path store) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, KEY_PASSWORD.toCharArray());
        }
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, KEY_PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(factory.getKeyManagers(), null, null);
        return context;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, "keytool failed: " + output);
    }
}
