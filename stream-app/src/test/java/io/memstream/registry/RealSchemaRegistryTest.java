package io.memstream.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import io.memstream.schema.TokenChunk;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The serde and client against a real registry over HTTP (Apicurio's Confluent API in CI, any
 * Confluent-compatible registry otherwise). Skipped when no registry URL is given. Every test uses
 * fresh topic names, so a long-lived registry can be reused across runs.
 */
class RealSchemaRegistryTest {
    private String url;
    private String topic;

    @BeforeEach
    void pickRegistryAndTopic() {
        url = RealRegistry.urlOrSkip();
        topic = "it-" + UUID.randomUUID();
    }

    private <T extends org.apache.avro.specific.SpecificRecord> RegistryAvroSerde<T> serde(Class<T> type,
                                                                                            Map<String, Object> extra) {
        Map<String, Object> configs = new java.util.HashMap<>(extra);
        configs.put(RegistryClientConfig.URL, url);
        return new RegistryAvroSerde<>(type, configs, false);
    }

    private RestSchemaRegistryClient client() {
        return new RestSchemaRegistryClient(RegistryClientConfig.from(Map.of(RegistryClientConfig.URL, url)));
    }

    @Test
    void registersOnFirstWriteAndAFreshReaderResolvesTheId() {
        TokenChunk chunk = TokenChunks.text("doc-1", 0, "In the beginning God created the heaven and the earth.");
        byte[] bytes = serde(TokenChunk.class, Map.of()).serializer().serialize(topic, chunk);

        RegisteredSchema registered = client().lookup(topic + "-value", TokenChunk.getClassSchema());
        assertEquals(0, bytes[0]);
        assertEquals(registered.id(), ByteBuffer.wrap(bytes, 1, 4).getInt());
        assertEquals(registered.id(), client().latest(topic + "-value").id());
        assertEquals(TokenChunk.getClassSchema(), client().schemaById(registered.id()));
        assertEquals(chunk, serde(TokenChunk.class, Map.of()).deserializer().deserialize(topic, bytes));

        Continuation continuation = Continuation.newBuilder().setStreamId("doc-1").setSeq(0).setText(" And")
                .setTokens(List.of(32, 65, 110, 100)).setFinishReason(FinishReason.LENGTH).setModelId("it")
                .setBitsPerByte(2.5).setStats(ChunkStats.newBuilder().setChunkTokens(55).setBatchSize(1)
                        .setInferenceMillis(1.5).setChunksAbsorbed(1).setTokensAbsorbed(55).build())
                .build();
        byte[] out = serde(Continuation.class, Map.of()).serializer().serialize(topic + "-out", continuation);
        assertEquals(continuation, serde(Continuation.class, Map.of()).deserializer().deserialize(topic + "-out", out));
    }

    @Test
    void evolvesSchemasBothWays() throws IOException {
        Schema older = new Schema.Parser().parse("""
                {"type":"record","name":"TokenChunk","namespace":"io.memstream.schema","fields":[
                  {"name":"streamId","type":"string"},
                  {"name":"seq","type":"long"},
                  {"name":"text","type":["null","string"],"default":null},
                  {"name":"producedAt","type":{"type":"long","logicalType":"timestamp-millis"}}]}""");
        int olderId = client().register(topic + "-value", older);
        GenericRecord old = new GenericData.Record(older);
        old.put("streamId", "doc-2");
        old.put("seq", 3L);
        old.put("text", "written by an older producer");
        old.put("producedAt", 1_700_000_000_000L);
        ByteArrayOutputStream framed = new ByteArrayOutputStream();
        framed.write(WireFormat.idPrefix(olderId));
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(framed, null);
        new GenericDatumWriter<GenericRecord>(older).write(old, encoder);
        encoder.flush();

        TokenChunk read = serde(TokenChunk.class, Map.of()).deserializer().deserialize(topic, framed.toByteArray());
        assertEquals("written by an older producer", read.getText());
        assertFalse(read.getEndOfStream());

        Schema newer = new Schema.Parser().parse(TokenChunk.getClassSchema().toString().replaceFirst(
                "\"fields\":\\[", "\"fields\":[{\"name\":\"language\",\"type\":\"string\",\"default\":\"en\"},"));
        int newerId = client().register(topic + "-value", newer);
        assertNotEquals(olderId, newerId);
        RegistryAvroSerde<TokenChunk> latest = serde(TokenChunk.class, Map.of(AvroSerdeConfig.USE_LATEST_VERSION, true));
        TokenChunk chunk = TokenChunks.text("doc-2", 4, "written with the latest version");
        byte[] bytes = latest.serializer().serialize(topic, chunk);
        assertEquals(newerId, ByteBuffer.wrap(bytes, 1, 4).getInt());
        assertEquals(chunk, latest.deserializer().deserialize(topic, bytes));
    }

    @Test
    void mapsTheRegistrysErrors() throws Exception {
        RestSchemaRegistryClient client = client();
        assertInstanceOf(SchemaNotFoundException.class,
                assertThrows(SchemaRegistryException.class, () -> client.schemaById(Integer.MAX_VALUE - 7)));
        assertThrows(SchemaNotFoundException.class, () -> client.latest(topic + "-nothing"));
        assertThrows(SchemaNotFoundException.class, () -> client.lookup(topic + "-nothing", TokenChunk.getClassSchema()));
        var noAutoRegister = serde(TokenChunk.class, Map.of(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false));
        var unregistered = assertThrows(SerializationException.class,
                () -> noAutoRegister.serializer().serialize(topic, TokenChunks.text("x", 0, "y")));
        assertInstanceOf(SchemaNotFoundException.class, unregistered.getCause());

        String subject = topic + "-value";
        client.register(subject, TokenChunk.getClassSchema());
        setCompatibility(subject, "BACKWARD");
        Schema breaking = new Schema.Parser().parse(TokenChunk.getClassSchema().toString().replaceFirst(
                "\"fields\":\\[", "\"fields\":[{\"name\":\"mandatory\",\"type\":\"string\"},"));
        assertFalse(client.isCompatibleWithLatest(subject, breaking));
        assertTrue(client.isCompatibleWithLatest(subject, TokenChunk.getClassSchema()));
        IncompatibleSchemaException refused = assertThrows(IncompatibleSchemaException.class,
                () -> client.register(subject, breaking));
        // The registry's own words, whatever registry this is: ask it directly and compare.
        HttpResponse<String> direct = post("/subjects/" + subject + "/versions", breaking);
        assertEquals(409, direct.statusCode(), direct.body());
        String registrysMessage = new com.fasterxml.jackson.databind.ObjectMapper().readTree(direct.body())
                .get("message").asText();
        assertTrue(!registrysMessage.isBlank() && refused.getMessage().contains(registrysMessage),
                "registry said '" + registrysMessage + "'; we said '" + refused.getMessage() + "'");
        assertTrue(refused.getMessage().contains(subject), refused.getMessage());
        assertEquals(1, client.latest(subject).version(), "nothing registered");
    }

    private HttpResponse<String> post(String path, Schema schema) throws Exception {
        String body = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("schema", schema.toString()).toString();
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + path))
                .header("Content-Type", RestSchemaRegistryClient.CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anUnresolvableGuidHeaderFailsClearly() {
        UUID guid = UUID.randomUUID();
        RecordHeaders headers = new RecordHeaders();
        headers.add(WireFormat.VALUE_SCHEMA_ID_HEADER, WireFormat.guidHeader(guid));
        var error = assertThrows(SerializationException.class, () -> serde(TokenChunk.class, Map.of()).deserializer()
                .deserialize(topic, headers, new byte[] {2, 'a', 0}));
        assertTrue(error.getMessage().contains(guid.toString()), error.getMessage());
        assertInstanceOf(SchemaRegistryException.class, error.getCause());
    }

    private void setCompatibility(String subject, String level) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(url + "/config/" + subject))
                .header("Content-Type", RestSchemaRegistryClient.CONTENT_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"" + level + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
    }
}
