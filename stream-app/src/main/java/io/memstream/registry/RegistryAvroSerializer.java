package io.memstream.registry;

import io.memstream.avro.TrustedAvroClasses;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes generated Avro records in the classic Confluent wire format, with the schema id of the
 * record's subject ({@code <topic>-value} or {@code <topic>-key}).
 */
public final class RegistryAvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    private final Class<T> type;
    private final Schema ownSchema;
    private final SpecificData model;
    private final SchemaRegistryClient registry;
    private final AvroSerdeConfig config;
    private final boolean isKey;
    private final Map<String, Writer<T>> writersByTopic = new ConcurrentHashMap<>();

    /** Which schema a topic's records are written with, and how. */
    private record Writer<T>(int schemaId, Schema schema, DatumWriter<T> own, boolean needsProjection) {
    }

    RegistryAvroSerializer(Class<T> type, SchemaRegistryClient registry, AvroSerdeConfig config, boolean isKey) {
        this.type = type;
        this.model = SpecificData.getForClass(type);
        this.ownSchema = model.getSchema(type);
        TrustedAvroClasses.trust(ownSchema);
        this.registry = registry;
        this.config = config;
        this.isKey = isKey;
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return serialize(topic, null, data);
    }

    @Override
    public byte[] serialize(String topic, Headers headers, T data) {
        if (data == null) {
            return null;
        }
        if (headers != null) {
            // A schema id header copied from an input record would make readers ignore our prefix.
            try {
                headers.remove(WireFormat.schemaIdHeader(isKey));
            } catch (IllegalStateException readOnly) {
                // Headers already sent elsewhere: nothing to clean, and nothing we may change.
            }
        }
        Writer<T> writer = writersByTopic.computeIfAbsent(topic, this::writerFor);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write(WireFormat.idPrefix(writer.schemaId()));
            if (writer.needsProjection()) {
                out.write(project(encode(writer.own(), data), writer.schema()));
            } else {
                out.write(encode(writer.own(), data));
            }
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Cannot write " + type.getSimpleName() + " for topic '" + topic
                    + "' with " + "schema id " + writer.schemaId() + ": " + e.getMessage(), e);
        }
    }

    private Writer<T> writerFor(String topic) {
        String subject = Subjects.topicName(topic, isKey);
        DatumWriter<T> own = new SpecificDatumWriter<>(ownSchema, model);
        try {
            if (config.useLatestVersion()) {
                RegisteredSchema latest = registry.latest(subject);
                return new Writer<>(latest.id(), latest.schema(), own, !latest.schema().equals(ownSchema));
            }
            int id = config.autoRegisterSchemas()
                    ? registry.register(subject, ownSchema)
                    : registry.lookup(subject, ownSchema).id();
            return new Writer<>(id, ownSchema, own, false);
        } catch (SchemaRegistryException e) {
            throw new SerializationException("Cannot get a schema id for " + type.getSimpleName() + " under subject '"
                    + subject + "': " + e.getMessage(), e);
        }
    }

    private static <D> byte[] encode(DatumWriter<D> writer, D datum) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        writer.write(datum, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    /**
     * Rewrites bytes of the record's own schema in the subject's latest schema, by Avro schema
     * resolution (so fields match by name, defaults fill what the class lacks).
     */
    private byte[] project(byte[] ownBytes, Schema target) throws IOException {
        try {
            GenericDatumReader<Object> reader = new GenericDatumReader<>(ownSchema, target, GenericData.get());
            Object projected = reader.read(null, DecoderFactory.get().binaryDecoder(ownBytes, null));
            return encode(new GenericDatumWriter<>(target, GenericData.get()), projected);
        } catch (AvroTypeException e) {
            throw new SerializationException("The latest registered schema cannot represent a "
                    + type.getSimpleName() + " (" + e.getMessage() + ")", e);
        }
    }
}
