package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.registry.MockSchemaRegistry;
import io.memstream.registry.WireFormat;
import io.memstream.schema.Continuation;
import io.memstream.schema.TokenChunk;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
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
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Records the registry serde cannot read become dead letters with the reason, and the processor goes
 * on; a registry that cannot be reached is not the record's fault and stops the task instead.
 * At-least-once, because TopologyTestDriver drops the dead letters of deserialization errors under
 * exactly-once (see {@link MemoryProcessorTest}); ProcessorAppTest covers exactly-once on a broker.
 */
class UnreadableInputTest {
    private static final Map<String, String> AT_LEAST_ONCE = Map.of(TopologyConfig.BATCH_MAX_SIZE, "1",
            "processing.guarantee", "at_least_once");

    /** TokenChunk with {@code seq} as a string: registered fine under another subject, unreadable as ours. */
    private static final Schema INCOMPATIBLE = new Schema.Parser().parse("""
            {"type":"record","name":"TokenChunk","namespace":"io.memstream.schema","fields":[
              {"name":"streamId","type":"string"},
              {"name":"seq","type":"string"},
              {"name":"producedAt","type":"long"}]}""");

    private final String scope = "unreadable-" + UUID.randomUUID();

    @AfterEach
    void dropRegistry() {
        MockSchemaRegistry.dropScope(scope);
    }

    @Test
    void unreadableBytesBecomeDeadLettersWithTheReason() throws IOException {
        try (TopologyHarness h = new TopologyHarness(AT_LEAST_ONCE, Map.of("schema.registry.url", "mock://" + scope))) {
            MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);
            byte[] good = h.serdes.chunk().serializer().serialize(h.config.inputTopic(),
                    TopologyHarness.text("ok", 0, "a readable chunk"));
            int incompatibleId = registry.register("elsewhere-value", INCOMPATIBLE);
            GenericRecord wrong = new GenericData.Record(INCOMPATIBLE);
            wrong.put("streamId", "w");
            wrong.put("seq", "zero");
            wrong.put("producedAt", 0L);
            UUID unknownGuid = UUID.fromString("00000000-0000-0000-0000-0000000000aa");

            Map<String, byte[]> values = new HashMap<>();
            values.put("no-magic", "{\"streamId\":\"x\"}".getBytes(StandardCharsets.UTF_8));
            values.put("unknown-id", new byte[] {0, 0, 0, 0x30, 0x39, 2, 'a'});
            values.put("truncated", Arrays.copyOf(good, good.length - 6));
            values.put("incompatible", concat(WireFormat.idPrefix(incompatibleId), encode(INCOMPATIBLE, wrong)));
            values.put("unknown-guid", Arrays.copyOfRange(good, WireFormat.ID_HEADER_LENGTH, good.length));
            List<String> order = List.of("no-magic", "unknown-id", "truncated", "incompatible", "unknown-guid");
            for (String key : order) {
                RecordHeaders headers = new RecordHeaders();
                if (key.equals("unknown-guid")) {
                    headers.add(WireFormat.VALUE_SCHEMA_ID_HEADER, WireFormat.guidHeader(unknownGuid));
                }
                h.rawInput.pipeInput(new TestRecord<>(key, values.get(key), headers, TopologyHarness.START));
            }
            h.rawInput.pipeInput("ok", good);

            Map<String, String> expectedReason = Map.of(
                    "no-magic", "not the Confluent wire format's magic byte 0x00",
                    "unknown-id", "schema id 12345, which the schema registry cannot resolve",
                    "truncated", "the Avro data ends early",
                    "incompatible", "schema id " + incompatibleId + ": the writer schema is incompatible",
                    "unknown-guid", unknownGuid.toString());
            List<TestRecord<byte[], byte[]>> dead = h.dlq.readRecordsToList();
            assertEquals(order.size(), dead.size(), "one dead letter per unreadable record");
            for (int i = 0; i < order.size(); i++) {
                String key = order.get(i);
                TestRecord<byte[], byte[]> letter = dead.get(i);
                assertEquals(key, new String(letter.key(), StandardCharsets.UTF_8));
                assertArrayEquals(values.get(key), letter.value(), key + ": the record as it arrived");
                String message = header(letter, "__streams.errors.message");
                assertTrue(message.contains(expectedReason.get(key)), key + ": " + message);
                assertEquals(SerializationException.class.getName(), header(letter, "__streams.errors.exception"));
                assertEquals(Integer.toString(i), header(letter, "__streams.errors.offset"));
            }
            assertTrue(header(dead.get(3), "__streams.errors.message").contains("field seq"),
                    "the incompatible field is named: " + header(dead.get(3), "__streams.errors.message"));
            assertEquals(order.size(), h.deadLetters("undecodable"));
            assertEquals(List.of("ok"), h.readAll().stream().map(Continuation::getStreamId).toList(),
                    "the processor goes on after the dead letters");
        }
    }

    @Test
    void anUnreachableRegistryStopsTheTaskAndDeadLettersNothing() throws IOException {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        Map<String, String> registry = Map.of("schema.registry.url", "http://127.0.0.1:" + deadPort,
                "schema.registry.max.retries", "1", "schema.registry.retry.wait.ms", "10");
        try (TopologyHarness h = new TopologyHarness(AT_LEAST_ONCE, registry)) {
            byte[] fine = concat(WireFormat.idPrefix(1), encode(TokenChunk.getClassSchema(),
                    TopologyHarness.text("s", 0, "a good record")));
            StreamsException stopped = assertThrows(StreamsException.class, () -> h.rawInput.pipeInput("s", fine));
            assertTrue(causes(stopped).contains("unreachable"), causes(stopped));
            assertTrue(h.dlq.isEmpty(), "a good record is not blamed for the registry's outage");
            assertEquals(0, h.deadLetters("undecodable"));
        }
    }

    private static String header(TestRecord<byte[], byte[]> record, String key) {
        Header header = record.headers().lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getMessage()).append(" | ");
        }
        return sb.toString();
    }

    private static <D> byte[] encode(Schema schema, D datum) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        GenericData model = datum instanceof TokenChunk
                ? org.apache.avro.specific.SpecificData.getForClass(TokenChunk.class) : GenericData.get();
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
