package io.memstream.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.memstream.schema.TokenChunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with an independent implementation: Confluent's Python client (Debian's
 * python3-confluent-kafka, with python3-avro and python3-requests) reads what our serde writes and
 * writes what our serde reads, both through the same real registry, byte for byte (no broker; the
 * whole pipeline with that client is {@code ConfluentClientsPipelineTest}). Skipped without a
 * registry URL or without that client.
 */
class ConfluentPythonInteropTest {
    private final ObjectMapper json = new ObjectMapper();
    private String url;
    private ConfluentPython python;

    @TempDir
    Path dir;

    @BeforeEach
    void requireRegistryAndClient() throws Exception {
        url = RealRegistry.urlOrSkip();
        python = ConfluentPython.orSkip(dir);
    }

    @Test
    void confluentsClientReadsWhatWeWrite() throws Exception {
        String topic = "interop-" + UUID.randomUUID();
        var serializer = new RegistryAvroSerde<>(TokenChunk.class, Map.of(RegistryClientConfig.URL, url), false)
                .serializer();
        List<TokenChunk> chunks = List.of(TokenChunks.text("doc-a", 0, "Héllo, wörld"),
                TokenChunks.text("doc-a", 1, "second chunk"));
        List<String> input = new ArrayList<>();
        chunks.forEach(c -> input.add(HexFormat.of().formatHex(serializer.serialize(topic, c))));

        List<String> decoded = python.run(input, "decode", url);
        assertEquals(chunks.size(), decoded.size());
        for (int i = 0; i < chunks.size(); i++) {
            JsonNode record = json.readTree(decoded.get(i));
            assertEquals(chunks.get(i).getStreamId(), record.get("streamId").asText());
            assertEquals(chunks.get(i).getSeq(), record.get("seq").asLong());
            assertEquals(chunks.get(i).getText(), record.get("text").asText());
            assertEquals(chunks.get(i).getProducedAt().toEpochMilli(), record.get("producedAt").asLong());
        }
    }

    @Test
    void weReadWhatConfluentsClientWrites() throws Exception {
        String topic = "interop-" + UUID.randomUUID();
        Path schemaFile = Files.writeString(dir.resolve("TokenChunk.avsc"), TokenChunk.getClassSchema().toString());
        // python-avro takes plain values for unions (no {"string": ...} wrapping as in Avro's JSON encoding).
        String record = "{\"streamId\":\"doc-b\",\"seq\":7,\"text\":\"from Python\",\"tokens\":null,"
                + "\"generate\":null,\"endOfStream\":true,\"producedAt\":1700000000123}";
        List<String> encoded = python.run(List.of(record), "encode", url, topic, schemaFile.toString());
        assertEquals(1, encoded.size());

        var deserializer = new RegistryAvroSerde<>(TokenChunk.class, Map.of(RegistryClientConfig.URL, url), false)
                .deserializer();
        TokenChunk chunk = deserializer.deserialize(topic, HexFormat.of().parseHex(encoded.get(0)));
        assertEquals("doc-b", chunk.getStreamId());
        assertEquals(7, chunk.getSeq());
        assertEquals("from Python", chunk.getText());
        assertEquals(true, chunk.getEndOfStream());
        assertEquals(1_700_000_000_123L, chunk.getProducedAt().toEpochMilli());
    }
}
