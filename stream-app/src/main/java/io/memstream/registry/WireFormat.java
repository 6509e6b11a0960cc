package io.memstream.registry;

import java.nio.ByteBuffer;
import java.util.UUID;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Confluent's wire format. Classic form, in the payload: {@code 0x00}, the schema id as 4 bytes
 * big-endian, then the Avro binary. Header form (newer Confluent producers): the payload is bare Avro
 * and a {@code __value_schema_id} / {@code __key_schema_id} header holds {@code 0x01} + a 16-byte GUID
 * (or {@code 0x00} + a 4-byte id). memstream writes the classic form and reads both.
 */
public final class WireFormat {
    public static final byte MAGIC_ID = 0x00;
    public static final byte MAGIC_GUID = 0x01;
    public static final int ID_HEADER_LENGTH = 5;
    public static final String KEY_SCHEMA_ID_HEADER = "__key_schema_id";
    public static final String VALUE_SCHEMA_ID_HEADER = "__value_schema_id";

    /** The writer schema of a record and where its Avro binary starts in the payload. */
    public record Framed(SchemaId schemaId, int avroOffset) {
    }

    private WireFormat() {
    }

    public static String schemaIdHeader(boolean isKey) {
        return isKey ? KEY_SCHEMA_ID_HEADER : VALUE_SCHEMA_ID_HEADER;
    }

    /** Writes the classic 5-byte prefix for {@code id} into {@code out} at its position. */
    public static void writeIdPrefix(int id, ByteBuffer out) {
        out.put(MAGIC_ID).putInt(id);
    }

    public static byte[] idPrefix(int id) {
        ByteBuffer buffer = ByteBuffer.allocate(ID_HEADER_LENGTH);
        writeIdPrefix(id, buffer);
        return buffer.array();
    }

    /**
     * Finds the writer schema of a record: the schema id header when the producer set one (then the
     * whole payload is Avro), else the classic prefix of the payload.
     */
    public static Framed read(String topic, Headers headers, boolean isKey, byte[] payload) {
        Header header = headers == null ? null : headers.lastHeader(schemaIdHeader(isKey));
        if (header != null) {
            return new Framed(parseHeader(topic, header), 0);
        }
        if (payload.length < ID_HEADER_LENGTH) {
            throw new SerializationException("Record on topic '" + topic + "' is " + payload.length
                    + " bytes, too short for the Confluent wire format (magic byte + 4-byte schema id + Avro)");
        }
        if (payload[0] != MAGIC_ID) {
            throw new SerializationException(String.format("Record on topic '%s' starts with byte 0x%02x, not the "
                    + "Confluent wire format's magic byte 0x00 (and it has no %s header): it was not written by a "
                    + "schema-registry Avro serializer", topic, payload[0], schemaIdHeader(isKey)));
        }
        return new Framed(new SchemaId.Numeric(ByteBuffer.wrap(payload, 1, 4).getInt()), ID_HEADER_LENGTH);
    }

    private static SchemaId parseHeader(String topic, Header header) {
        byte[] value = header.value();
        if (value != null && value.length == 17 && value[0] == MAGIC_GUID) {
            ByteBuffer buffer = ByteBuffer.wrap(value, 1, 16);
            return new SchemaId.Guid(new UUID(buffer.getLong(), buffer.getLong()));
        }
        if (value != null && value.length == ID_HEADER_LENGTH && value[0] == MAGIC_ID) {
            return new SchemaId.Numeric(ByteBuffer.wrap(value, 1, 4).getInt());
        }
        throw new SerializationException("Record on topic '" + topic + "' has a " + header.key()
                + " header that is neither 0x01 + 16-byte GUID nor 0x00 + 4-byte id ("
                + (value == null ? "null" : value.length + " bytes") + ")");
    }

    /** The header value of the GUID form, as a producer using it would write it. */
    public static byte[] guidHeader(UUID guid) {
        return ByteBuffer.allocate(17).put(MAGIC_GUID)
                .putLong(guid.getMostSignificantBits()).putLong(guid.getLeastSignificantBits()).array();
    }
}
