package io.memstream.topology;

import java.io.ByteArrayOutputStream;
import io.memstream.avro.TrustedAvroClasses;
import java.io.IOException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Plain Avro binary (no schema id) for the state stores: the writer and reader are the same
 * generated class, and the store's changelog is private to this app, so no registry is needed.
 *
 * <p>Every memory update writes a whole state (8 KB for the default model) through here, on the
 * stream thread: each thread keeps its encoding buffer, encoder and decoder, so a record costs the
 * one array Kafka keeps instead of a buffer grown six times and an encoder's own 2 KB per record.
 */
final class AvroBinarySerde<T extends SpecificRecord> implements Serde<T> {

    /** A thread's reusable encoding buffer and Avro encoder and decoder (a serde is shared by stream threads). */
    private static final class Buffers {
        ExposedBytes out = new ExposedBytes();
        BinaryEncoder encoder;
        BinaryDecoder decoder;
    }

    /** A ByteArrayOutputStream that can be emptied and copied out without a second copy. */
    private static final class ExposedBytes extends ByteArrayOutputStream {
        ExposedBytes() {
            super(1024);
        }

        byte[] copy() {
            return java.util.Arrays.copyOf(buf, count);
        }

        int capacity() {
            return buf.length;
        }
    }

    /** A thread keeps an encoding buffer up to this size. */
    private static final int MAX_KEPT_BYTES = 1 << 20;
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private final SpecificDatumWriter<T> writer;
    private final SpecificDatumReader<T> reader;

    AvroBinarySerde(Class<T> type) {
        SpecificData model = SpecificData.getForClass(type);
        var schema = model.getSchema(type);
        // Avro 1.12 only instantiates trusted classes; our own generated classes are.
        TrustedAvroClasses.trust(schema);
        this.writer = new SpecificDatumWriter<>(schema, model);
        this.reader = new SpecificDatumReader<>(schema, schema, model);
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            Buffers b = BUFFERS.get();
            b.out.reset();
            b.encoder = EncoderFactory.get().binaryEncoder(b.out, b.encoder);
            try {
                writer.write(value, b.encoder);
                b.encoder.flush();
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("cannot encode " + value.getSchema().getName(), e);
            }
            byte[] bytes = b.out.copy();
            if (b.out.capacity() > MAX_KEPT_BYTES) { // an outsized record: do not keep its buffer
                b.out = new ExposedBytes();
                b.encoder = null;
            }
            return bytes;
        };
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            Buffers b = BUFFERS.get();
            b.decoder = DecoderFactory.get().binaryDecoder(data, b.decoder);
            try {
                return reader.read(null, b.decoder);
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("cannot decode " + reader.getSchema().getName(), e);
            }
        };
    }
}
