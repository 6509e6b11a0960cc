package io.memstream.registry;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;

/**
 * Where the registry is and how to log in, read from the configuration keys Confluent's serdes use,
 * so a client configuration written for them works unchanged.
 *
 * @param urls          base URLs, tried in order until one answers; credentials embedded in a URL are removed
 * @param authorization the value of the HTTP Authorization header, if any
 * @param timeout       connect and request timeout of each call
 * @param maxRetries    how often a call that failed transiently (unreachable, HTTP 5xx or 429) is retried
 * @param retryWait     wait before the first retry; doubled for each further one
 * @param trustStore    the trust store for HTTPS registries; empty: the JDK's default one
 */
public record RegistryClientConfig(List<URI> urls, Optional<String> authorization, Duration timeout,
                                   int maxRetries, Duration retryWait, Optional<RegistryTrustStore> trustStore) {

    public static final String URL = "schema.registry.url";
    public static final String CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String USER_INFO = "basic.auth.user.info";
    /** Confluent also accepts the user info under the registry prefix; so do we. */
    public static final String PREFIXED_USER_INFO = "schema.registry.basic.auth.user.info";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String MAX_RETRIES = "schema.registry.max.retries";
    public static final String RETRY_WAIT_MS = "schema.registry.retry.wait.ms";
    public static final String MOCK_SCHEME = "mock://";

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Short by default: a serde retrying inside a Streams task must stay well within its transaction timeout. */
    private static final int DEFAULT_MAX_RETRIES = 3;
    private static final Duration DEFAULT_RETRY_WAIT = Duration.ofMillis(200);

    public RegistryClientConfig {
        urls = List.copyOf(urls);
        if (urls.isEmpty()) {
            throw new ConfigException(URL, "", "at least one schema registry URL is needed");
        }
        if (maxRetries < 0) {
            throw new ConfigException(MAX_RETRIES, maxRetries, "must be 0 or more");
        }
    }

    /** Reads the client settings; {@code schema.registry.url} must be set and must not be a mock:// URL. */
    public static RegistryClientConfig from(Map<String, ?> configs) {
        String rawUrls = string(configs, URL)
                .orElseThrow(() -> new ConfigException(URL + " is not set: memstream needs a schema registry "
                        + "(for example http://localhost:8081, or mock://<scope> in tests)"));
        if (rawUrls.startsWith(MOCK_SCHEME)) {
            throw new ConfigException(URL, rawUrls, "a mock:// URL has no HTTP client configuration");
        }
        String source = string(configs, CREDENTIALS_SOURCE).orElse("URL").trim().toUpperCase();
        List<URI> urls = new ArrayList<>();
        Optional<String> urlUserInfo = Optional.empty();
        for (String raw : rawUrls.split(",")) {
            if (raw.isBlank()) {
                continue;
            }
            URI uri = parseUrl(raw.trim());
            if (uri.getRawUserInfo() != null && urlUserInfo.isEmpty()) {
                urlUserInfo = Optional.of(decode(uri.getRawUserInfo()));
            }
            urls.add(withoutUserInfo(uri));
        }
        Optional<String> userInfo = switch (source) {
            case "URL" -> urlUserInfo;
            case "USER_INFO" -> Optional.of(string(configs, USER_INFO).or(() -> string(configs, PREFIXED_USER_INFO))
                    .orElseThrow(() -> new ConfigException(CREDENTIALS_SOURCE + "=USER_INFO needs "
                            + USER_INFO + " (user:password)")));
            default -> throw new ConfigException(CREDENTIALS_SOURCE, source,
                    "supported sources are URL and USER_INFO");
        };
        userInfo.ifPresent(RegistryClientConfig::requireUserAndPassword);
        Duration timeout = string(configs, REQUEST_TIMEOUT_MS).map(v -> Duration.ofMillis(parsePositive(REQUEST_TIMEOUT_MS, v)))
                .orElse(DEFAULT_TIMEOUT);
        int maxRetries = string(configs, MAX_RETRIES).map(v -> (int) parseNonNegative(MAX_RETRIES, v))
                .orElse(DEFAULT_MAX_RETRIES);
        Duration retryWait = string(configs, RETRY_WAIT_MS).map(v -> Duration.ofMillis(parseNonNegative(RETRY_WAIT_MS, v)))
                .orElse(DEFAULT_RETRY_WAIT);
        Optional<RegistryTrustStore> trustStore = string(configs, RegistryTrustStore.LOCATION)
                .map(location -> new RegistryTrustStore(Path.of(location), string(configs, RegistryTrustStore.PASSWORD),
                        string(configs, RegistryTrustStore.TYPE).orElse("PKCS12")));
        return new RegistryClientConfig(urls, userInfo.map(RegistryClientConfig::basicHeader), timeout, maxRetries,
                retryWait, trustStore);
    }

    static Optional<String> string(Map<String, ?> configs, String key) {
        Object value = configs.get(key);
        if (value == null) {
            return Optional.empty();
        }
        String text = value instanceof org.apache.kafka.common.config.types.Password password
                ? password.value() : value.toString();
        return text.isBlank() ? Optional.empty() : Optional.of(text.trim());
    }

    private static URI parseUrl(String raw) {
        try {
            URI uri = URI.create(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("scheme must be http or https");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            // The raw value may carry credentials: never echo it.
            throw new ConfigException(URL + " has an invalid URL (" + e.getMessage() + "): "
                    + RegistryUrls.redact(raw));
        }
    }

    private static URI withoutUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        String text = uri.toString();
        return URI.create(text.replace(uri.getRawUserInfo() + "@", ""));
    }

    private static String decode(String rawUserInfo) {
        return java.net.URLDecoder.decode(rawUserInfo, StandardCharsets.UTF_8);
    }

    private static void requireUserAndPassword(String userInfo) {
        if (!userInfo.contains(":")) {
            throw new ConfigException("basic auth user info must have the form user:password (value hidden)");
        }
    }

    private static String basicHeader(String userInfo) {
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    private static long parsePositive(String key, String value) {
        long parsed = parseNonNegative(key, value);
        if (parsed == 0) {
            throw new ConfigException(key, value, "must be positive");
        }
        return parsed;
    }

    private static long parseNonNegative(String key, String value) {
        try {
            long parsed = Long.parseLong(value);
            if (parsed < 0) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new ConfigException(key, value, "must be a whole number, 0 or more");
        }
    }

    /** Never prints the Authorization header. */
    @Override
    public String toString() {
        return "RegistryClientConfig[urls=" + urls + ", authorization=" + (authorization.isPresent() ? "[hidden]" : "none")
                + ", timeout=" + timeout + ", maxRetries=" + maxRetries + ", retryWait=" + retryWait
                + ", trustStore=" + trustStore.map(Object::toString).orElse("JDK default") + "]";
    }
}
