package io.memstream.registry;

import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The real registry an integration test runs against: system property {@code memstream.it.registry.url}
 * or environment variable {@code MEMSTREAM_IT_REGISTRY_URL} (tools/registry/start.sh prints one).
 */
public final class RealRegistry {
    public static final String PROPERTY = "memstream.it.registry.url";
    public static final String ENV = "MEMSTREAM_IT_REGISTRY_URL";

    private RealRegistry() {
    }

    /** "none" is how run-tests.sh and CI say "no real registry" (README, Tests): the tests skip. */
    public static Optional<String> url() {
        return Optional.ofNullable(System.getProperty(PROPERTY)).filter(s -> !s.isBlank())
                .or(() -> Optional.ofNullable(System.getenv(ENV)).filter(s -> !s.isBlank()))
                .filter(s -> !s.equals("none"));
    }

    /** The URL, or the test is skipped with the reason and the way to run it. */
    public static String urlOrSkip() {
        Optional<String> url = url();
        Assumptions.assumeTrue(url.isPresent(), "no real schema registry: set -D" + PROPERTY + " or " + ENV
                + " (tools/registry/start.sh <port> starts one and prints its URL)");
        return url.get();
    }
}
