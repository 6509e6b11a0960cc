package io.memstream.registry;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * The serde behaviour switches, under the names Confluent's Avro serdes use.
 *
 * @param autoRegisterSchemas register the record class's schema under the subject when writing
 * @param useLatestVersion    write with the subject's latest registered schema instead of the class's own
 */
public record AvroSerdeConfig(boolean autoRegisterSchemas, boolean useLatestVersion) {
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String USE_LATEST_VERSION = "use.latest.version";
    public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";

    public static AvroSerdeConfig from(Map<String, ?> configs) {
        boolean useLatest = bool(configs, USE_LATEST_VERSION, false);
        // As in Confluent's serdes, use.latest.version means "do not register": default auto.register off then.
        boolean autoRegister = bool(configs, AUTO_REGISTER_SCHEMAS, !useLatest);
        if (useLatest && autoRegister) {
            throw new ConfigException(USE_LATEST_VERSION + "=true writes with the registered schema and cannot be "
                    + "combined with " + AUTO_REGISTER_SCHEMAS + "=true");
        }
        if (!bool(configs, SPECIFIC_AVRO_READER, true)) {
            throw new ConfigException(SPECIFIC_AVRO_READER, configs.get(SPECIFIC_AVRO_READER),
                    "memstream's serde always reads generated (specific) records; remove the setting or set it true");
        }
        return new AvroSerdeConfig(autoRegister, useLatest);
    }

    private static boolean bool(Map<String, ?> configs, String key, boolean defaultValue) {
        Object value = configs.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        String text = value.toString().trim();
        if (text.equalsIgnoreCase("true")) {
            return true;
        }
        if (text.equalsIgnoreCase("false")) {
            return false;
        }
        throw new ConfigException(key, value, "must be true or false");
    }
}
