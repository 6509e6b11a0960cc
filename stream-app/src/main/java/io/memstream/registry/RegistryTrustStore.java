package io.memstream.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.ConfigException;

/**
 * A trust store for HTTPS registries whose certificate the JDK's own trust store does not vouch for
 * (a private CA), under Confluent's keys {@code schema.registry.ssl.truststore.location},
 * {@code .password} and {@code .type}. Without one, the JDK's default trust store decides.
 *
 * @param location the trust store file
 * @param password its password, if it has one (never printed)
 * @param type     {@code PKCS12} (the default) or {@code JKS}
 */
public record RegistryTrustStore(Path location, Optional<String> password, String type) {
    public static final String LOCATION = "schema.registry.ssl.truststore.location";
    public static final String PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String TYPE = "schema.registry.ssl.truststore.type";

    /** An SSL context that trusts exactly the certificates in this store; fails at configuration time. */
    public SSLContext sslContext() {
        try (InputStream in = Files.newInputStream(location)) {
            KeyStore store = KeyStore.getInstance(type);
            store.load(in, password.map(String::toCharArray).orElse(null));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            // The password is not in these messages: KeyStore reports only that it was wrong.
            throw new ConfigException(LOCATION + "=" + location + " (" + type + ") cannot be loaded: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "RegistryTrustStore[" + location + ", " + type + ", password=" + (password.isPresent() ? "[hidden]" : "none")
                + "]";
    }
}
