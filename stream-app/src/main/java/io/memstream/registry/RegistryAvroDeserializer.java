package io.memstream.registry;

import io.memstream.avro.TrustedAvroClasses;
import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent wire format records into a generated class: the writer schema comes from the
 * registry (by id or GUID), the reader schema is the class's, and Avro's schema resolution bridges
 * them, so records written by an older or newer compatible schema read fine.
 *
 * <p>Failures are {@link SerializationException}s; when the registry itself failed, the cause is a
 * {@link SchemaRegistryException} (error code -1 when it could not be reached at all), so an
 * exception handler can tell a bad record from an outage.
 */
public final class RegistryAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    private final Class<T> type;
    private final Schema readerSchema;
    private final SpecificData model;
    private final SchemaRegistryClient registry;
    private final boolean isKey;
    private final Map<SchemaId, Reader<T>> readersByWriter = new ConcurrentHashMap<>();

    /** How records of one writer schema are read. */
    private record Reader<T>(Schema writerSchema, DatumReader<T> datumReader) {
    }

    RegistryAvroDeserializer(Class<T> type, SchemaRegistryClient registry, boolean isKey) {
        this.type = type;
        this.model = SpecificData.getForClass(type);
        this.readerSchema = model.getSchema(type);
        TrustedAvroClasses.trust(readerSchema);
        this.registry = registry;
        this.isKey = isKey;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return deserialize(topic, null, data);
    }

    @Override
    public T deserialize(String topic, Headers headers, byte[] data) {
        if (data == null) {
            return null;
        }
        WireFormat.Framed framed = WireFormat.read(topic, headers, isKey, data);
        Reader<T> reader = readersByWriter.computeIfAbsent(framed.schemaId(), id -> readerFor(topic, id));
        try {
            BinaryDecoder decoder = DecoderFactory.get()
                    .binaryDecoder(data, framed.avroOffset(), data.length - framed.avroOffset(), null);
            T value = reader.datumReader().read(null, decoder);
            if (!decoder.isEnd()) {
                throw new SerializationException("Record on topic '" + topic + "' has bytes left after the "
                        + type.getSimpleName() + " written with " + framed.schemaId() + ": not a single Avro datum");
            }
            return value;
        } catch (AvroTypeException e) {
            String mismatch = SchemaMismatch.describe(readerSchema, reader.writerSchema());
            throw new SerializationException("Cannot read a " + type.getSimpleName() + " from topic '" + topic
                    + "' written with " + framed.schemaId() + ": the writer schema is incompatible with "
                    + type.getSimpleName() + "'s (" + (mismatch.isEmpty() ? e.getMessage() : mismatch) + ")", e);
        } catch (EOFException e) {
            throw new SerializationException("Cannot read a " + type.getSimpleName() + " from topic '" + topic
                    + "' written with " + framed.schemaId() + ": the Avro data ends early (truncated record)", e);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new SerializationException("Cannot read a " + type.getSimpleName() + " from topic '" + topic
                    + "' written with " + framed.schemaId() + ": " + e, e);
        }
    }

    private Reader<T> readerFor(String topic, SchemaId schemaId) {
        Schema writerSchema;
        try {
            writerSchema = schemaId.resolve(registry);
        } catch (SchemaRegistryException e) {
            throw new SerializationException("Record on topic '" + topic + "' was written with " + schemaId
                    + ", which the schema registry cannot resolve: " + e.getMessage(), e);
        }
        return new Reader<>(writerSchema, new SpecificDatumReader<>(writerSchema, readerSchema, model));
    }
}
