package io.memstream.cli;

import io.memstream.config.MemstreamConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The configuration options every command shares: a properties file and {@code -D key=value} overrides. */
final class ConfigOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file (memstream, Kafka client/Streams and registry keys). "
                    + "MEMSTREAM_* environment variables override it, -D overrides both.")
    Path configFile;

    @Option(names = "-D", paramLabel = "KEY=VALUE", description = "Set one configuration key (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    /** The processor's configuration: everything validated, the model included. */
    MemstreamConfig load() {
        return MemstreamConfig.load(Optional.ofNullable(configFile), System.getenv(), overrides);
    }

    /** The configuration of a command that only produces or consumes (no model needed). */
    MemstreamConfig loadForClients() {
        return MemstreamConfig.loadForClients(Optional.ofNullable(configFile), System.getenv(), overrides);
    }
}
