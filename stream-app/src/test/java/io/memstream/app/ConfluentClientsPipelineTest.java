package io.memstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.memstream.client.ClientConfigs;
import io.memstream.client.DeadLetterReader;
import io.memstream.client.TopicCreation;
import io.memstream.config.MemstreamConfig;
import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.registry.ConfluentPython;
import io.memstream.registry.RealRegistry;
import io.memstream.registry.RegisteredSchema;
import io.memstream.registry.RegistryClientConfig;
import io.memstream.registry.RestSchemaRegistryClient;
import io.memstream.schema.Continuation;
import io.memstream.schema.TokenChunk;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline with clients that share no code with memstream: a real broker, the real
 * registry and the processor, with Confluent's Python client (Debian's python3-confluent-kafka)
 * producing {@code TokenChunk}s in three schema generations and reading the {@code Continuation}s back,
 * and kcat showing the wire header of both topics' records.
 *
 * <p>Schema evolution, with the subject at BACKWARD compatibility in the registry: an <b>older</b>
 * producer (a TokenChunk without tokens, generate and endOfStream: the app's schema has gained those
 * fields since), the <b>current</b> schema, and a <b>newer</b> producer (an added optional
 * {@code language} field the app does not know) all register and are all processed. Skipped without a
 * registry URL or without the Python client; the kcat check is skipped without kcat.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfluentClientsPipelineTest {
    private static final Path TINY = Path.of(System.getProperty("memstream.repo.root", ".."), "models", "tiny");

    static final Schema OLDER = new Schema.Parser().parse("""
            {"type":"record","name":"TokenChunk","namespace":"io.memstream.schema","fields":[
              {"name":"streamId","type":"string"},
              {"name":"seq","type":"long"},
              {"name":"text","type":["null","string"],"default":null},
              {"name":"producedAt","type":{"type":"long","logicalType":"timestamp-millis"}}]}""");
    static final Schema NEWER = new Schema.Parser().parse(TokenChunk.getClassSchema().toString().replaceFirst(
            "]}$", ",{\"name\":\"language\",\"type\":[\"null\",\"string\"],\"default\":null}]}"));

    private final ObjectMapper json = new ObjectMapper();
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String chunks = "py-chunks-" + run;
    private final String continuations = "py-continuations-" + run;
    private final String dlq = "py-dlq-" + run;
    private String registryUrl;
    private EmbeddedKafkaBroker broker;
    private RestSchemaRegistryClient registry;
    /** Ids the Python producer's schema generations got in the registry, by stream. */
    private final Map<String, Integer> schemaIdByStream = new LinkedHashMap<>();
    private final List<JsonNode> readByPython = new ArrayList<>();
    private final List<DeadLetterReader.DeadLetter> deadLetters = new ArrayList<>();

    @TempDir
    static Path dir;

    @BeforeAll
    void runThePipeline() throws Exception {
        registryUrl = RealRegistry.urlOrSkip();
        ConfluentPython python = ConfluentPython.orSkip(dir);
        registry = new RestSchemaRegistryClient(RegistryClientConfig.from(Map.of(RegistryClientConfig.URL, registryUrl)));
        broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), Duration.ofSeconds(60));
        MemstreamConfig config = MemstreamConfig.load(Optional.empty(), Map.of(), settings());
        try (Admin admin = Admin.create(ClientConfigs.admin(config.registryConfigs()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(chunks, 2, (short) 1),
                    new NewTopic(continuations, 2, (short) 1),
                    new NewTopic(dlq, 1, (short) 1)));
        }
        setCompatibility(chunks + "-value", "BACKWARD");

        Map<String, Schema> generations = new LinkedHashMap<>();
        generations.put("older", OLDER);
        generations.put("current", TokenChunk.getClassSchema());
        generations.put("newer", NEWER);
        try (ProcessorApp app = ProcessorApp.start(config)) {
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)), "RUNNING");
            for (Map.Entry<String, Schema> generation : generations.entrySet()) {
                String stream = generation.getKey();
                Path schemaFile = Files.writeString(dir.resolve(stream + ".avsc"), generation.getValue().toString());
                List<String> records = List.of(record(stream, 0, generation.getValue()),
                        record(stream, 1, generation.getValue()));
                List<String> answer = python.run(records, "produce", registryUrl, broker.bootstrapServers(), chunks,
                        schemaFile.toString());
                assertEquals("{\"produced\": 2}", answer.get(answer.size() - 1));
                // The version Python just registered (looked up by version: Apicurio's lookup by schema text
                // compares the text, and python-avro formats the schema differently from Java).
                RegisteredSchema latest = registry.latest(chunks + "-value");
                assertEquals(generation.getValue(), latest.schema(), stream + " schema registered by Python");
                schemaIdByStream.put(stream, latest.id());
            }
            for (String line : python.run(List.of(), "consume", registryUrl, broker.bootstrapServers(), continuations,
                    "6", "90")) {
                readByPython.add(json.readTree(line));
            }
            try (DeadLetterReader reader = new DeadLetterReader(config.registryConfigs(), dlq, true)) {
                deadLetters.addAll(reader.poll(Duration.ofSeconds(2)));
            }
        }
    }

    @AfterAll
    void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void everyGenerationOfProducerIsProcessedAndPythonReadsTheContinuations() {
        assertEquals(List.of(), deadLetters.stream().map(DeadLetterReader.DeadLetter::message).toList(),
                "no record was dead-lettered");
        Set<String> seen = new TreeSet<>();
        for (JsonNode record : readByPython) {
            JsonNode value = record.get("value");
            assertEquals(record.get("key").asText(), value.get("streamId").asText());
            assertTrue(seen.add(value.get("streamId").asText() + "/" + value.get("seq").asLong()), "twice: " + record);
            assertTrue(value.get("bitsPerByte").asDouble() > 0, "bits per byte of the chunk: " + record);
            assertTrue(!value.get("modelId").asText().isEmpty(), "model id set: " + record);
            boolean generated = value.get("streamId").asText().equals("current") && value.get("seq").asLong() == 1;
            String finish = value.get("finishReason").asText();
            assertTrue(generated ? !finish.equals("NONE") && value.get("tokens").size() <= 4
                    : finish.equals("NONE") && value.get("tokens").size() == 0, "generation as asked: " + record);
        }
        assertEquals(Set.of("current/0", "current/1", "newer/0", "newer/1", "older/0", "older/1"), seen);
        assertEquals(3, Set.copyOf(schemaIdByStream.values()).size(), "three schema versions: " + schemaIdByStream);
        assertEquals(3, registry.latest(chunks + "-value").version());
    }

    @Test
    void kcatShowsTheWireHeaderOfBothTopics() throws Exception {
        Assumptions.assumeTrue(kcatInstalled(), "kcat is not installed (apt-get install kcat)");
        List<KcatRecord> input = kcat(chunks, 6);
        assertEquals(6, input.size());
        for (KcatRecord record : input) {
            assertEquals(0, record.value()[0], "magic byte of " + record.key());
            assertEquals(schemaIdByStream.get(record.key()), ByteBuffer.wrap(record.value(), 1, 4).getInt(),
                    "the schema id the Python producer registered for " + record.key());
        }
        int continuationId = registry.lookup(continuations + "-value", Continuation.getClassSchema()).id();
        List<KcatRecord> output = kcat(continuations, 6);
        assertEquals(6, output.size());
        for (KcatRecord record : output) {
            assertEquals(0, record.value()[0]);
            assertEquals(continuationId, ByteBuffer.wrap(record.value(), 1, 4).getInt());
        }
    }

    /** One TokenChunk as python-avro wants it: every field of the writer schema present, unions as plain values. */
    private String record(String stream, long seq, Schema schema) {
        ObjectNode value = json.createObjectNode().put("streamId", stream).put("seq", seq)
                .put("text", seq == 0 ? "In the beginning God created the heaven and the earth. "
                        : "And the earth was without form, and void; ")
                .put("producedAt", 1_700_000_000_000L + seq);
        if (schema.getField("tokens") != null) {
            value.putNull("tokens");
            value.put("endOfStream", false);
            if (stream.equals("current") && seq == 1) {
                value.putObject("generate").put("maxNewTokens", 4).put("temperature", 0.0).put("topK", 0)
                        .put("topP", 1.0).putNull("seed").putArray("stopSequences");
            } else {
                value.putNull("generate");
            }
        }
        if (schema.getField("language") != null) {
            value.put("language", "en");
        }
        ObjectNode entry = json.createObjectNode().put("key", stream);
        entry.set("value", value);
        return entry.toString();
    }

    private Map<String, String> settings() {
        Map<String, String> settings = new HashMap<>();
        settings.put("bootstrap.servers", broker.bootstrapServers());
        settings.put("schema.registry.url", registryUrl);
        settings.put("application.id", "py-pipeline-" + run);
        settings.put("input.topic", chunks);
        settings.put("output.topic", continuations);
        settings.put("dlq.topic", dlq);
        settings.put("model.dir", TINY.toString());
        settings.put("model.threads", "1");
        settings.put("http.port", "0");
        settings.put("state.dir", dir.resolve("state").toString());
        settings.put("replication.factor", "1");
        settings.put("commit.interval.ms", "100");
        settings.put("batch.max.wait.ms", "20");
        return settings;
    }

    private void setCompatibility(String subject, String level) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(registryUrl + "/config/" + subject))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"" + level + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
    }

    private record KcatRecord(String key, byte[] value) {
    }

    private static boolean kcatInstalled() throws InterruptedException {
        try {
            Process probe = new ProcessBuilder("kcat", "-V").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The first {@code count} records of {@code topic} as kcat prints them: key, a tab, the value's size,
     * a tab, the value's raw bytes (the size says where a binary value ends), a newline.
     */
    private List<KcatRecord> kcat(String topic, int count) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("kcat", "-b", broker.bootstrapServers(), "-C", "-t", topic,
                "-o", "beginning", "-c", Integer.toString(count), "-e", "-q", "-f", "%k\\t%S\\t%s\\n")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "kcat finished");
        assertEquals(0, process.exitValue(), "kcat exit code");
        List<KcatRecord> records = new ArrayList<>();
        int at = 0;
        while (at < out.length) {
            int keyEnd = indexOf(out, (byte) '\t', at);
            int sizeEnd = indexOf(out, (byte) '\t', keyEnd + 1);
            String key = new String(out, at, keyEnd - at, StandardCharsets.UTF_8);
            int size = Integer.parseInt(new String(out, keyEnd + 1, sizeEnd - keyEnd - 1, StandardCharsets.US_ASCII));
            byte[] value = java.util.Arrays.copyOfRange(out, sizeEnd + 1, sizeEnd + 1 + size);
            records.add(new KcatRecord(key, value));
            at = sizeEnd + 1 + size + 1;
        }
        return records;
    }

    private static int indexOf(byte[] bytes, byte wanted, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == wanted) {
                return i;
            }
        }
        throw new AssertionError("kcat output is not key<TAB>size<TAB>value");
    }
}
