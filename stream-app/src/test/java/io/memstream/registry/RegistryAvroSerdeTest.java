package io.memstream.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RegistryAvroSerdeTest {
    private static final String SCOPE = "serde-test";
    private static final String TOPIC = "chunks";

    /** TokenChunk as an older producer knew it: no tokens, generate or endOfStream yet. */
    private static final Schema OLDER = new Schema.Parser().parse("""
            {"type":"record","name":"TokenChunk","namespace":"io.memstream.schema","fields":[
              {"name":"streamId","type":"string"},
              {"name":"seq","type":"long"},
              {"name":"text","type":["null","string"],"default":null},
              {"name":"producedAt","type":{"type":"long","logicalType":"timestamp-millis"}}]}""");

    private final MockSchemaRegistry registry = MockSchemaRegistry.forScope(SCOPE);

    @AfterEach
    void dropRegistry() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    private static RegistryAvroSerde<TokenChunk> serde(Map<String, Object> extra) {
        Map<String, Object> configs = new HashMap<>(extra);
        configs.put(RegistryClientConfig.URL, "mock://" + SCOPE);
        return new RegistryAvroSerde<>(TokenChunk.class, configs, false);
    }

    @Test
    void roundTripsInTheClassicWireFormat() {
        RegistryAvroSerde<TokenChunk> serde = serde(Map.of());
        TokenChunk chunk = TokenChunk.newBuilder(TokenChunks.text("doc-1", 0, "In the beginning"))
                .setGenerate(GenerateRequest.newBuilder().setMaxNewTokens(16).setStopSequences(List.of("\n")).build())
                .build();
        byte[] bytes = serde.serializer().serialize(TOPIC, chunk);

        int id = registry.lookup("chunks-value", TokenChunk.getClassSchema()).id();
        assertEquals(0, bytes[0], "magic byte");
        assertEquals(id, ByteBuffer.wrap(bytes, 1, 4).getInt(), "schema id, big-endian");
        assertEquals(chunk, serde.deserializer().deserialize(TOPIC, bytes));
        assertNull(serde.serializer().serialize(TOPIC, null));
        assertNull(serde.deserializer().deserialize(TOPIC, null));
    }

    @Test
    void keySerdesUseTheKeySubject() {
        Map<String, Object> configs = Map.of(RegistryClientConfig.URL, "mock://" + SCOPE);
        new RegistryAvroSerde<>(TokenChunk.class, configs, true).serializer()
                .serialize(TOPIC, TokenChunks.text("k", 0, "x"));
        assertEquals(1, registry.latest("chunks-key").version());
        assertThrows(SchemaNotFoundException.class, () -> registry.latest("chunks-value"));
    }

    @Test
    void readsRecordsOfAnOlderWriterSchemaWithDefaults() throws IOException {
        int olderId = registry.register("chunks-value", OLDER);
        GenericRecord old = new GenericData.Record(OLDER);
        old.put("streamId", "doc-2");
        old.put("seq", 5L);
        old.put("text", "old text");
        old.put("producedAt", 1_700_000_000_123L);
        byte[] bytes = concat(WireFormat.idPrefix(olderId), encode(OLDER, old));

        TokenChunk read = serde(Map.of()).deserializer().deserialize(TOPIC, bytes);
        assertEquals("doc-2", read.getStreamId());
        assertEquals(5L, read.getSeq());
        assertEquals("old text", read.getText());
        assertFalse(read.getEndOfStream(), "default of a field the writer did not know");
        assertNull(read.getTokens());
        assertEquals(1_700_000_000_123L, read.getProducedAt().toEpochMilli());
    }

    @Test
    void writesWithTheLatestVersionWhenAsked() throws IOException {
        Schema newer = withExtraField(TokenChunk.getClassSchema());
        registry.register("chunks-value", TokenChunk.getClassSchema());
        int newerId = registry.register("chunks-value", newer);

        RegistryAvroSerde<TokenChunk> serde = serde(Map.of(AvroSerdeConfig.USE_LATEST_VERSION, "true"));
        TokenChunk chunk = TokenChunks.text("doc-3", 1, "latest");
        byte[] bytes = serde.serializer().serialize(TOPIC, chunk);

        assertEquals(newerId, ByteBuffer.wrap(bytes, 1, 4).getInt());
        GenericRecord asNewer = new GenericDatumReader<GenericRecord>(newer).read(null,
                DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
        assertEquals("en", asNewer.get("language").toString(), "the field the class lacks gets its default");
        assertEquals(chunk, serde.deserializer().deserialize(TOPIC, bytes), "newer writer, older reader");
    }

    @Test
    void withoutAutoRegisterAnUnregisteredSchemaFailsClearly() {
        RegistryAvroSerde<TokenChunk> serde = serde(Map.of(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false));
        var error = assertThrows(SerializationException.class,
                () -> serde.serializer().serialize(TOPIC, TokenChunks.text("a", 0, "x")));
        assertInstanceOf(SchemaNotFoundException.class, error.getCause());
        assertTrue(error.getMessage().contains("chunks-value"));

        int id = registry.register("chunks-value", TokenChunk.getClassSchema());
        byte[] bytes = serde.serializer().serialize(TOPIC, TokenChunks.text("a", 0, ""));
        assertEquals(id, ByteBuffer.wrap(bytes, 1, 4).getInt(), "the looked-up id once registered");
    }

    @Test
    void readsTheGuidHeaderForm() throws IOException {
        int id = registry.register("chunks-value", TokenChunk.getClassSchema());
        TokenChunk chunk = TokenChunks.text("doc-4", 2, "header form");
        RecordHeaders headers = new RecordHeaders();
        headers.add(WireFormat.VALUE_SCHEMA_ID_HEADER, WireFormat.guidHeader(registry.guidOf(id)));

        byte[] bareAvro = encode(TokenChunk.getClassSchema(), chunk);
        assertEquals(chunk, serde(Map.of()).deserializer().deserialize(TOPIC, headers, bareAvro));
    }

    @Test
    void keysReadTheKeyHeaderAndValuesTheValueHeader() throws IOException {
        int id = registry.register("chunks-key", TokenChunk.getClassSchema());
        TokenChunk chunk = TokenChunks.text("doc-k", 1, "key in header form");
        byte[] bareAvro = encode(TokenChunk.getClassSchema(), chunk);
        RecordHeaders headers = new RecordHeaders();
        headers.add(WireFormat.KEY_SCHEMA_ID_HEADER, WireFormat.guidHeader(registry.guidOf(id)));
        // A value header with an unknown GUID on the same record must not confuse the key's reader.
        UUID unknown = UUID.fromString("00000000-0000-0000-0000-0000000000bb");
        headers.add(WireFormat.VALUE_SCHEMA_ID_HEADER, WireFormat.guidHeader(unknown));

        var keyReader = new RegistryAvroSerde<>(TokenChunk.class,
                Map.of(RegistryClientConfig.URL, "mock://" + SCOPE), true).deserializer();
        assertEquals(chunk, keyReader.deserialize(TOPIC, headers, bareAvro));
        var valueError = assertThrows(SerializationException.class,
                () -> serde(Map.of()).deserializer().deserialize(TOPIC, headers, bareAvro));
        assertTrue(valueError.getMessage().contains(unknown.toString()), valueError.getMessage());
    }

    @Test
    void anUnknownGuidFailsWithTheGuidInTheMessage() throws IOException {
        UUID unknown = UUID.fromString("00000000-0000-0000-0000-00000000abcd");
        RecordHeaders headers = new RecordHeaders();
        headers.add(WireFormat.VALUE_SCHEMA_ID_HEADER, WireFormat.guidHeader(unknown));
        var error = assertThrows(SerializationException.class, () -> serde(Map.of()).deserializer()
                .deserialize(TOPIC, headers, encode(TokenChunk.getClassSchema(), TokenChunks.text("x", 0, "y"))));
        assertTrue(error.getMessage().contains(unknown.toString()), error.getMessage());
        assertInstanceOf(SchemaNotFoundException.class, error.getCause());

        headers.remove(WireFormat.VALUE_SCHEMA_ID_HEADER);
        headers.add(WireFormat.VALUE_SCHEMA_ID_HEADER, new byte[] {7, 7});
        assertThrows(SerializationException.class, () -> serde(Map.of()).deserializer()
                .deserialize(TOPIC, headers, new byte[] {0, 0, 0, 0, 1, 2}));
    }

    @Test
    void serializingDropsAStaleSchemaIdHeader() {
        RecordHeaders headers = new RecordHeaders();
        headers.add(WireFormat.VALUE_SCHEMA_ID_HEADER, WireFormat.guidHeader(UUID.randomUUID()));
        RegistryAvroSerde<TokenChunk> serde = serde(Map.of());
        TokenChunk chunk = TokenChunks.text("doc-5", 0, "copied headers");
        byte[] bytes = serde.serializer().serialize(TOPIC, headers, chunk);
        assertNull(headers.lastHeader(WireFormat.VALUE_SCHEMA_ID_HEADER));
        assertEquals(chunk, serde.deserializer().deserialize(TOPIC, headers, bytes));
    }

    @Test
    void rejectsBytesThatAreNotTheWireFormat() {
        var deserializer = serde(Map.of()).deserializer();
        var magic = assertThrows(SerializationException.class,
                () -> deserializer.deserialize(TOPIC, "{\"json\":1}".getBytes()));
        assertTrue(magic.getMessage().contains("0x7b"), magic.getMessage());
        assertThrows(SerializationException.class, () -> deserializer.deserialize(TOPIC, new byte[] {0, 0}));
        var unknownId = assertThrows(SerializationException.class,
                () -> deserializer.deserialize(TOPIC, new byte[] {0, 0, 0, 0x30, 0x39, 2, 'a'}));
        assertTrue(unknownId.getMessage().contains("12345"), unknownId.getMessage());

        int id = registry.register("chunks-value", TokenChunk.getClassSchema());
        byte[] good = serde(Map.of()).serializer().serialize(TOPIC, TokenChunks.text("doc", 0, "truncate me"));
        assertThrows(SerializationException.class,
                () -> deserializer.deserialize(TOPIC, Arrays.copyOf(good, good.length - 4)));
        byte[] trailing = Arrays.copyOf(good, good.length + 3);
        assertThrows(SerializationException.class, () -> deserializer.deserialize(TOPIC, trailing));
        assertEquals(id, ByteBuffer.wrap(good, 1, 4).getInt());
    }

    @Test
    void mockRegistryEnforcesBackwardCompatibility() {
        registry.register("chunks-value", TokenChunk.getClassSchema());
        Schema breaking = new Schema.Parser().parse(TokenChunk.getClassSchema().toString()
                .replaceFirst("\"fields\":\\[", "\"fields\":[{\"name\":\"mandatory\",\"type\":\"string\"},"));
        assertFalse(registry.isCompatibleWithLatest("chunks-value", breaking));
        assertThrows(IncompatibleSchemaException.class, () -> registry.register("chunks-value", breaking));
        assertTrue(registry.isCompatibleWithLatest("chunks-value", withExtraField(TokenChunk.getClassSchema())));
    }

    @Test
    void rejectsConfigurationItCannotHonour() {
        assertThrows(ConfigException.class, () -> serde(Map.of(AvroSerdeConfig.SPECIFIC_AVRO_READER, "false")));
        assertThrows(ConfigException.class, () -> serde(Map.of(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "yes")));
        assertThrows(ConfigException.class, () -> serde(Map.of(AvroSerdeConfig.USE_LATEST_VERSION, true,
                AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, true)));
        var missing = assertThrows(ConfigException.class,
                () -> new RegistryAvroSerde<>(TokenChunk.class, Map.of(), false));
        assertTrue(missing.getMessage().contains(RegistryClientConfig.URL));
    }

    private static Schema withExtraField(Schema base) {
        return new Schema.Parser().parse(base.toString()
                .replaceFirst("\"fields\":\\[", "\"fields\":[{\"name\":\"language\",\"type\":\"string\",\"default\":\"en\"},"));
    }

    private static <D> byte[] encode(Schema schema, D datum) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        // Generated records carry logical-type conversions (Instant) that only their own model knows.
        GenericData model = datum instanceof TokenChunk ? SpecificData.getForClass(TokenChunk.class) : GenericData.get();
        new GenericDatumWriter<D>(schema, model).write(datum, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
