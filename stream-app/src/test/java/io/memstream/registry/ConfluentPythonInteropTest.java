package io.memstream.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.memstream.schema.TokenChunk;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with an independent implementation: Confluent's Python client (Debian's
 * python3-confluent-kafka, with python3-avro and python3-requests) reads what our serde writes and
 * writes what our serde reads, both through the same real registry. Skipped without a registry URL or
 * without that client.
 */
class ConfluentPythonInteropTest {
    private static final String PYTHON = "/usr/bin/python3";
    private final ObjectMapper json = new ObjectMapper();
    private String url;
    private Path script;

    @TempDir
    Path dir;

    @BeforeEach
    void requireRegistryAndClient() throws Exception {
        url = RealRegistry.urlOrSkip();
        Process probe = new ProcessBuilder(PYTHON, "-c",
                "import confluent_kafka.avro, requests, avro").redirectErrorStream(true).start();
        boolean usable = probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0;
        Assumptions.assumeTrue(usable, "Confluent's Python client is not installed "
                + "(apt-get install python3-confluent-kafka python3-avro python3-requests)");
        script = dir.resolve("confluent_avro_interop.py");
        try (var in = getClass().getResourceAsStream("/interop/confluent_avro_interop.py")) {
            Files.write(script, in.readAllBytes());
        }
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

        List<String> decoded = python(input, "decode", url);
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
        List<String> encoded = python(List.of(record), "encode", url, topic, schemaFile.toString());
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

    private List<String> python(List<String> stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PYTHON, script.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (Writer in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
            for (String line : stdin) {
                in.write(line + "\n");
            }
        }
        List<String> out = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            reader.lines().forEach(out::add);
        }
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError("python interop script failed (exit " + process.exitValue() + ")");
        }
        return out;
    }
}
