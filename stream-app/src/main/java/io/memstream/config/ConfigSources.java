package io.memstream.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Where settings come from, lowest precedence first: built-in defaults, the properties file,
 * {@code MEMSTREAM_*} environment variables, then {@code -D key=value} on the command line.
 */
public final class ConfigSources {
    public static final String ENV_PREFIX = "MEMSTREAM_";

    private ConfigSources() {
    }

    /** Reads a properties file (UTF-8). */
    public static Properties readFile(Path file) {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (NoSuchFileException e) {
            throw new MemstreamConfigException(List.of("config file " + file + " does not exist"));
        } catch (IOException | IllegalArgumentException e) {
            throw new MemstreamConfigException(List.of("cannot read config file " + file + ": " + e.getMessage()));
        }
        return props;
    }

    /**
     * The settings carried by environment variables: {@code MEMSTREAM_BATCH_MAX_SIZE=8} sets
     * {@code batch.max.size=8} (prefix dropped, lower case, underscores become dots).
     */
    public static Properties fromEnvironment(Map<String, String> env) {
        Properties props = new Properties();
        env.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
                props.setProperty(envToKey(name), value);
            }
        });
        return props;
    }

    public static String envToKey(String name) {
        return name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    public static String keyToEnv(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
