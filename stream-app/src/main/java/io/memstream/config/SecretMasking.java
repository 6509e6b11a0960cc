package io.memstream.config;

import io.memstream.registry.RegistryUrls;
import java.util.Locale;
import java.util.regex.Pattern;

/** Decides what of a configuration may be printed: secrets are hidden, credentials in URLs redacted. */
public final class SecretMasking {
    public static final String HIDDEN = "[hidden]";

    /** Keys whose values are secrets in Kafka, Streams, SASL/SSL and registry client settings. */
    private static final Pattern SECRET_KEY =
            Pattern.compile(".*(password|secret|jaas|user\\.info|token|api\\.key|apikey|private\\.key).*");

    private SecretMasking() {
    }

    public static boolean isSecret(String key) {
        return SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches();
    }

    /** The value as it may appear in a log line. */
    public static String printable(String key, String value) {
        if (value == null) {
            return null;
        }
        return isSecret(key) ? HIDDEN : RegistryUrls.redact(value);
    }
}
