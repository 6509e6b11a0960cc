package io.memstream.registry;

import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro class, registry-backed and wire-compatible with Confluent's
 * {@code SpecificAvroSerde}. It understands the same configuration keys: {@code schema.registry.url}
 * (http(s) URLs, comma-separated, or {@code mock://<scope>}), {@code basic.auth.credentials.source},
 * {@code basic.auth.user.info}, {@code auto.register.schemas}, {@code use.latest.version} and
 * {@code specific.avro.reader}. Subjects follow the TopicNameStrategy.
 */
public final class RegistryAvroSerde<T extends SpecificRecord> implements Serde<T> {
    private final Class<T> type;
    private SchemaRegistryClient registry;
    private RegistryAvroSerializer<T> serializer;
    private RegistryAvroDeserializer<T> deserializer;

    public RegistryAvroSerde(Class<T> type, Map<String, ?> configs, boolean isKey) {
        this.type = type;
        configure(configs, isKey);
    }

    /** Rebuilds the serializer and deserializer for new settings. */
    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig serdeConfig = AvroSerdeConfig.from(configs);
        SchemaRegistryClient client = SchemaRegistryClients.fromConfig(configs);
        this.registry = client;
        this.serializer = new RegistryAvroSerializer<>(type, client, serdeConfig, isKey);
        this.deserializer = new RegistryAvroDeserializer<>(type, client, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }

    /** The registry client this serde uses (shared by its serializer and deserializer). */
    public SchemaRegistryClient registry() {
        return registry;
    }

    @Override
    public void close() {
        registry.close();
    }
}
