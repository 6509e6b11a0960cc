package io.memstream.client;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Narrows a mixed configuration (Kafka, registry and memstream keys) to what one Kafka client knows,
 * so clients do not warn about every foreign key.
 */
public final class ClientConfigs {
    private ClientConfigs() {
    }

    public static Map<String, Object> producer(Map<String, ?> configs) {
        return filter(configs, ProducerConfig.configNames());
    }

    public static Map<String, Object> consumer(Map<String, ?> configs) {
        return filter(configs, ConsumerConfig.configNames());
    }

    public static Map<String, Object> admin(Map<String, ?> configs) {
        return filter(configs, AdminClientConfig.configNames());
    }

    private static Map<String, Object> filter(Map<String, ?> configs, Set<String> known) {
        Map<String, Object> out = new HashMap<>();
        configs.forEach((key, value) -> {
            if (known.contains(key)) {
                out.put(key, value);
            }
        });
        return out;
    }
}
