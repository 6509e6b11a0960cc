package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.registry.MockSchemaRegistry;
import io.memstream.registry.RegistryAvroSerde;
import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import io.memstream.schema.TokenChunk;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code produce}, {@code consume} and {@code run}'s configuration check, against a real in-JVM broker. */
class ClientCommandsTest {
    private static final String SCOPE = "client-commands";
    private static EmbeddedKafkaBroker broker;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
        MockSchemaRegistry.dropScope(SCOPE);
    }

    private static int memstream(StringWriter out, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-D", "bootstrap.servers=" + broker.bootstrapServers(),
                "-D", "schema.registry.url=mock://" + SCOPE));
        return Main.execute(new PrintWriter(out, true), new PrintWriter(out, true), all.toArray(String[]::new));
    }

    @Test
    void produceSendsAFileAsOneStreamOfChunks() throws Exception {
        String text = "And the LORD spake unto Moses, saying, Speak unto the children of Israel. ".repeat(4);
        Path file = Files.writeString(dir.resolve("doc.txt"), text);
        StringWriter out = new StringWriter();
        int exit = memstream(out, "produce", file.toString(), "--stream", "exodus", "--chunk-bytes", "64",
                "--generate", "last_chunk", "--end-of-stream", "-D", "input.topic=produce-test");
        assertEquals(0, exit, out.toString());
        assertTrue(out.toString().contains("to produce-test"), out.toString());

        List<TokenChunk> chunks = new ArrayList<>();
        try (KafkaConsumer<String, TokenChunk> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "produce-test", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new RegistryAvroSerde<>(TokenChunk.class,
                        Map.of("schema.registry.url", "mock://" + SCOPE), false).deserializer())) {
            consumer.subscribe(List.of("produce-test"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && (chunks.isEmpty() || !chunks.get(chunks.size() - 1).getEndOfStream())) {
                for (ConsumerRecord<String, TokenChunk> record : consumer.poll(Duration.ofMillis(200))) {
                    assertEquals("exodus", record.key());
                    chunks.add(record.value());
                }
            }
        }
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < chunks.size(); i++) {
            assertEquals(i, chunks.get(i).getSeq());
            assertEquals(i == chunks.size() - 1, chunks.get(i).getEndOfStream());
            assertEquals(i == chunks.size() - 1, chunks.get(i).getGenerate() != null, "generate on the last chunk");
            assertNull(chunks.get(i).getTokens());
            joined.append(chunks.get(i).getText());
        }
        assertEquals(text, joined.toString());
        assertTrue(chunks.size() >= text.length() / 64);
    }

    @Test
    void consumePrintsContinuationsReadably() {
        Continuation continuation = Continuation.newBuilder().setStreamId("psalm").setSeq(2)
                .setText("I shall not want.\n").setFinishReason(FinishReason.STOP).setModelId("test")
                .setBitsPerByte(1.25).setStats(ChunkStats.newBuilder().setChunkTokens(10).setBatchSize(1)
                        .setInferenceMillis(3.5).setChunksAbsorbed(3).setTokensAbsorbed(30).build()).build();
        try (KafkaProducer<String, Continuation> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                new RegistryAvroSerde<>(Continuation.class, Map.of("schema.registry.url", "mock://" + SCOPE), false)
                        .serializer())) {
            producer.send(new ProducerRecord<>("consume-test", "psalm", continuation));
        }
        StringWriter out = new StringWriter();
        int exit = memstream(out, "consume", "--from-beginning", "--max", "1", "-D", "output.topic=consume-test");
        assertEquals(0, exit, out.toString());
        assertTrue(out.toString().matches("(?s)psalm +seq +2 +1\\.250 bits/byte +3\\.5 ms +-> \"I shall not want\\.\\\\n\" "
                + "\\[stop\\]\\R"), out.toString());
    }

    @Test
    void runRejectsABadConfigurationBeforeStarting() {
        StringWriter out = new StringWriter();
        int exit = memstream(out, "run", "-D", "device=tpu", "-D", "batch.max.size=0",
                "-D", "model.dir=" + DemoCommandTest.TINY);
        assertEquals(Main.CONFIG_ERROR, exit, out.toString());
        assertTrue(out.toString().contains("device must be cpu, gpu or auto"), out.toString());
        assertTrue(out.toString().contains("batch.max.size"), out.toString());
    }

    @Test
    void deadLettersPrintWhereAndWhy() {
        assertEquals("bad  from chunks-1@42 (19 bytes): org.apache.kafka.common.errors.SerializationException: "
                + "no magic byte", FollowCommand.format(new io.memstream.client.DeadLetterReader.DeadLetter("bad",
                "chunks", "1", "42", "org.apache.kafka.common.errors.SerializationException", "no magic byte", 19)));
    }

    @Test
    void consumingAMissingTopicSaysSo() {
        StringWriter out = new StringWriter();
        int exit = memstream(out, "consume", "--max", "1", "-D", "output.topic=no-such-topic");
        assertEquals(Main.CONFIG_ERROR, exit, out.toString());
        assertTrue(out.toString().contains("topic 'no-such-topic' does not exist on " + broker.bootstrapServers()),
                out.toString());
    }
}
