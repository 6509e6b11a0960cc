package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.memstream.model.TestModels;
import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.FinishReason;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.MemoryState;
import io.memstream.schema.TokenChunk;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

/**
 * Kafka's exactly-once system test, memstream's way (issue 7): a broker in a JVM of its own, two
 * memstream instances ({@code memstream run}) in JVMs of their own with one application id and a
 * standby replica each, an input topic of 4 partitions. While S streams x K chunks (every third
 * asking for a generation) and a set of bad records are produced at a steady pace, a random instance
 * is killed with SIGKILL at random moments and started again, and the broker is killed and restarted
 * once. Then everything is read {@code read_committed} and compared with an oracle, the same records
 * through one fault-free instance (TopologyTestDriver, same topology and model):
 * <ul>
 *   <li>every chunk's Continuation exactly once, byte-identical to the oracle's (wall-time field zeroed);</li>
 *   <li>every stream's final memory (last value of the memory store's changelog) equal to the oracle's;</li>
 *   <li>the dead-letter topic holds exactly the bad records, each once, as they were sent.</li>
 * </ul>
 * CI size by default; {@code tools/reliability/crash-test.sh} runs a longer one through the
 * environment: {@code MEMSTREAM_CRASH_KILLS}, {@code _STREAMS}, {@code _CHUNKS}, {@code _BATCH},
 * {@code _SEED}. The counts are printed and written to {@code target/reliability/crash-summary.txt}.
 */
class ReliabilityCrashTest {

    private static final int KILLS = env("MEMSTREAM_CRASH_KILLS", 3);
    private static final int STREAMS = env("MEMSTREAM_CRASH_STREAMS", 12);
    private static final int CHUNKS = env("MEMSTREAM_CRASH_CHUNKS", 10);
    /** 1: batch composition cannot change float rounding, so outputs can be compared byte for byte. */
    private static final int BATCH = env("MEMSTREAM_CRASH_BATCH", 1);
    private static final long SEED = env("MEMSTREAM_CRASH_SEED", (int) (System.nanoTime() & 0x7fffffff));
    private static final int PARTITIONS = 4;
    /**
     * Whether the broker is killed and restarted once (0 turns it off). It was off in the CI run while
     * about one restart in two left a transaction hanging (Kafka 4.3.1 drops transaction markers while
     * the restarted node is fenced, KAFKA-20734); on again since the one-node settings keep the
     * coordinator's timed-out-transaction check out of that window (docs/RELIABILITY.md).
     */
    private static final boolean BROKER_RESTART = env("MEMSTREAM_CRASH_BROKER_RESTART", 1) == 1;
    /**
     * {@code k=v,k=v}: broker settings replacing memstream's one-node ones, to measure a setting's
     * effect with the same test (for example the transaction cleanup interval of issue 7's stall);
     * the test itself keeps every record (no time retention).
     */
    private static final Map<String, String> BROKER_OVERRIDES = overrides(System.getenv("MEMSTREAM_CRASH_BROKER_OVERRIDES"));

    /** A record as sent or read: key (null for none) and value bytes. */
    record Sent(String key, byte[] value) { }

    @Test
    void everyContinuationOnceAndEveryMemoryEqualUnderKillsAndABrokerRestart() throws Exception {
        long started = System.nanoTime();
        Random random = new Random(SEED);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String input = "crash-in-" + run;
        String output = "crash-out-" + run;
        String dlq = "crash-dlq-" + run;
        String appId = "crash7-" + run;
        String scope = "crash7-" + run;
        Path work = Files.createTempDirectory("memstream-crash7-");
        System.out.printf("crash test: seed %d, %d kills, %d streams x %d chunks, batch %d, broker overrides %s, logs in %s%n",
                SEED, KILLS, STREAMS, CHUNKS, BATCH, BROKER_OVERRIDES, work);
        MemstreamSerdes serdes = new MemstreamSerdes(Map.of("schema.registry.url", "mock://" + scope));
        InstanceChildMain.registerInOrder(serdes, input, output);
        List<Sent> good = new ArrayList<>();
        List<Sent> bad = new ArrayList<>();
        List<Sent> all = script(serdes, input, output, good, bad);

        int kills = 0;
        int killsUnderWay = 0;   // kills that landed while some chunk was still without its continuation
        int brokerRestarts = 0;
        int unexpectedExits = 0;
        Map<String, List<byte[]>> outputs = new HashMap<>();
        List<Sent> deadLetters = new ArrayList<>();
        Map<String, MemoryState> memories = new HashMap<>();
        try (ChildJvms.Broker broker = new ChildJvms.Broker(work.resolve("broker"), BROKER_OVERRIDES)) {
            broker.start(Duration.ofSeconds(300));
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic(input, PARTITIONS, (short) 1),
                        new NewTopic(output, PARTITIONS, (short) 1), new NewTopic(dlq, 1, (short) 1))).all().get();
            }
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("bootstrap.servers", broker.bootstrapServers());
            settings.put("application.id", appId);
            settings.put("schema.registry.url", "mock://" + scope);
            settings.put("input.topic", input);
            settings.put("output.topic", output);
            settings.put("dlq.topic", dlq);
            settings.put("model.dir", TestModels.tiny().toString());
            settings.put("model.threads", "1");
            settings.put("http.port", "0");
            settings.put("batch.max.size", Integer.toString(BATCH));
            settings.put("batch.max.wait.ms", "10");
            settings.put("replication.factor", "1");
            settings.put("num.stream.threads", "1");
            settings.put("num.standby.replicas", "1");
            settings.put("commit.interval.ms", "100");
            // A killed instance never leaves the group: its partitions move once its session expires.
            settings.put("consumer.session.timeout.ms", "6000");
            settings.put("consumer.heartbeat.interval.ms", "1000");
            // An instance still starting when the broker goes down waits for it rather than exiting.
            settings.put("default.api.timeout.ms", "300000");
            List<ChildJvms.Instance> instances = List.of(
                    new ChildJvms.Instance("a", work, scope, input, output, settings),
                    new ChildJvms.Instance("b", work, scope, input, output, settings));
            try {
                for (ChildJvms.Instance i : instances) {
                    i.start();
                }
                // The producer runs at a steady pace over the whole fault schedule: a kill takes 5-10 s
                // (a pause of 2-6 s, progress since the last one, a restart of 0-3 s), so publication
                // lasts about 9 s per kill and every fault lands on work under way (at 5 s per kill,
                // kills 4-10 of the long run came after the last chunk had been continued).
                long paceMillis = Math.max(50, KILLS * 9_000L / Math.max(1, CHUNKS));
                AtomicReference<Throwable> producerFailure = new AtomicReference<>();
                Thread producer = new Thread(() -> {
                    try {
                        CrashTopics.produce(broker.bootstrapServers(), input, all, STREAMS + 2, paceMillis);
                    } catch (Throwable t) {
                        producerFailure.set(t);
                    }
                }, "crash-producer");
                producer.start();

                int brokerRestartAt = BROKER_RESTART ? KILLS / 2 : -1;
                try (KafkaConsumer<byte[], byte[]> out = CrashTopics.committedReader(broker.bootstrapServers(), output)) {
                    for (int k = 0; k < KILLS; k++) {
                        // A random pause, and some committed progress since the last fault, so that every
                        // fault lands while work is under way (and not only on JVMs still starting).
                        int before = outputs.size();
                        long earliest = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_000 + random.nextInt(4_000));
                        long latest = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
                        while (System.nanoTime() < latest && (System.nanoTime() < earliest
                                || (outputs.size() == before && outputs.size() < good.size()))) {
                            drain(out, serdes, output, outputs);
                            unexpectedExits += restartExited(instances);
                        }
                        ChildJvms.Instance victim = instances.get(random.nextInt(instances.size()));
                        victim.kill();
                        kills++;
                        if (outputs.size() < good.size()) {
                            killsUnderWay++;
                        }
                        System.out.printf("crash test: kill -9 #%d: instance %s at %.1f s, %d of %d continued%n", kills,
                                victim.name, (System.nanoTime() - started) / 1e9, outputs.size(), good.size());
                        if (k == brokerRestartAt) {
                            // The broker too, while the victim is down; the victim starts once the broker is
                            // back, as its start-up check (rightly) refuses to start without one.
                            Thread.sleep(random.nextInt(2_000));
                            broker.kill();
                            System.out.printf("crash test: broker killed at %.1f s%n", (System.nanoTime() - started) / 1e9);
                            Thread.sleep(1_000);
                            broker.start(Duration.ofSeconds(300));
                            brokerRestarts++;
                            System.out.printf("crash test: broker back at %.1f s%n", (System.nanoTime() - started) / 1e9);
                        } else {
                            Thread.sleep(random.nextInt(3_000));
                        }
                        victim.start();
                    }
                    producer.join(Duration.ofMinutes(5).toMillis());
                    if (producerFailure.get() != null) {
                        throw new AssertionError("producer failed", producerFailure.get());
                    }

                    // Everything read_committed: outputs until every chunk has one (or time is up), then a
                    // little longer to catch late duplicates; dead letters and the memory changelog to the end.
                    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                    long lastProgress = System.nanoTime();
                    int distinct = outputs.size();
                    long quietUntil = Long.MAX_VALUE;
                    while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                        drain(out, serdes, output, outputs);
                        unexpectedExits += restartExited(instances);
                        if (outputs.size() > distinct) {
                            lastProgress = System.nanoTime();
                        } else if (System.nanoTime() - lastProgress > Duration.ofSeconds(60).toNanos()) {
                            lastProgress = System.nanoTime();
                            CrashTopics.diagnose(broker.bootstrapServers(), appId, run, outputs.size(), good.size());
                        }
                        distinct = outputs.size();
                        if (distinct >= good.size() && quietUntil == Long.MAX_VALUE) {
                            quietUntil = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                        }
                    }
                }
                deadLetters.addAll(CrashTopics.readToEnd(broker.bootstrapServers(), dlq));
                for (Sent s : CrashTopics.readToEnd(broker.bootstrapServers(), appId + "-" + MemstreamTopology.MEMORY_STORE + "-changelog")) {
                    memories.put(s.key(), s.value() == null ? null
                            : serdes.memoryState().deserializer().deserialize("", s.value()));
                }
            } finally {
                for (ChildJvms.Instance i : instances) {
                    i.close();
                }
            }
        }

        // The oracle: the same records, in the same order, through one fault-free instance.
        Map<String, byte[]> expected = new HashMap<>();
        Map<String, MemoryState> expectedMemory = new HashMap<>();
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.INPUT_TOPIC, input,
                TopologyConfig.OUTPUT_TOPIC, output, TopologyConfig.DLQ_TOPIC, dlq,
                TopologyConfig.BATCH_MAX_SIZE, "1"))) {
            InstanceChildMain.registerInOrder(h.serdes, input, output);
            for (Sent s : all) {
                h.rawInput.pipeInput(s.key(), s.value());
            }
            h.tick();
            for (Continuation c : h.readAll()) {
                expected.put(c.getStreamId() + "/" + c.getSeq(), comparable(c));
            }
            for (int s = 0; s < STREAMS; s++) {
                expectedMemory.put(stream(s), h.memory().get(stream(s)));
            }
        }

        int duplicates = 0;
        int missing = 0;
        int mismatches = 0;
        for (var e : expected.entrySet()) {
            List<byte[]> got = outputs.get(e.getKey());
            if (got == null) {
                missing++;
                continue;
            }
            duplicates += got.size() - 1;
            for (byte[] g : got) {
                if (!Arrays.equals(g, e.getValue())) {
                    mismatches++;
                    System.out.println("crash test: continuation " + e.getKey() + " differs from the oracle's");
                }
            }
        }
        int extra = (int) outputs.keySet().stream().filter(k -> !expected.containsKey(k)).count();
        int memoryMismatches = 0;
        for (var e : expectedMemory.entrySet()) {
            if (!sameMemory(e.getValue(), memories.get(e.getKey()))) {
                memoryMismatches++;
                System.out.println("crash test: memory of " + e.getKey() + " differs from the oracle's");
            }
        }
        int dlqMismatches = dlqDifferences(bad, deadLetters);
        int outputCount = outputs.values().stream().mapToInt(List::size).sum();
        String summary = String.format("kills=%d kills_under_way=%d broker_restarts=%d unexpected_exits=%d streams=%d chunks=%d "
                        + "generation_requests=%d bad_records=%d outputs=%d expected_outputs=%d duplicates=%d missing=%d "
                        + "extra=%d mismatches=%d memory_streams=%d memory_mismatches=%d dead_letters=%d dlq_mismatches=%d "
                        + "batch=%d seed=%d seconds=%d",
                kills, killsUnderWay, brokerRestarts, unexpectedExits, STREAMS, good.size(), generationRequests(), bad.size(),
                outputCount, expected.size(), duplicates, missing, extra, mismatches, expectedMemory.size(),
                memoryMismatches, deadLetters.size(), dlqMismatches, BATCH, SEED,
                (System.nanoTime() - started) / 1_000_000_000L);
        System.out.println("CRASH-RESULT " + summary);
        Path report = Path.of("target", "reliability");
        Files.createDirectories(report);
        Files.writeString(report.resolve("crash-summary.txt"), summary + "\n");

        assertEquals(good.size(), expected.size(), "the oracle continues every good chunk");
        assertEquals(0, unexpectedExits, "instances that stopped by themselves (logs in " + work + ")");
        assertEquals(0, missing + duplicates + extra, summary);
        assertEquals(0, mismatches, summary);
        assertEquals(0, memoryMismatches, summary);
        assertEquals(0, dlqMismatches, summary);
        assertEquals(KILLS, kills);
        assertEquals(BROKER_RESTART ? 1 : 0, brokerRestarts);
    }

    private static void drain(KafkaConsumer<byte[], byte[]> out, MemstreamSerdes serdes, String output,
                              Map<String, List<byte[]>> outputs) {
        for (ConsumerRecord<byte[], byte[]> r : out.poll(Duration.ofMillis(200))) {
            Continuation c = serdes.continuation().deserializer().deserialize(output, r.value());
            outputs.computeIfAbsent(c.getStreamId() + "/" + c.getSeq(), x -> new ArrayList<>()).add(comparable(c));
        }
    }

    /** Restarts instances that exited without being killed; returns how many did (each is a failure). */
    private static int restartExited(List<ChildJvms.Instance> instances) throws Exception {
        int n = 0;
        for (ChildJvms.Instance i : instances) {
            if (!i.alive()) {
                n++;
                System.out.println("crash test: instance " + i.name + " exited by itself with " + i.exitCode()
                        + ":\n" + i.logTail(40));
                i.start();
            }
        }
        return n;
    }

    private int generationRequests;

    private int generationRequests() {
        return generationRequests;
    }

    private static String stream(int s) {
        return "crash-" + s;
    }

    /** The good chunks round by round (seq), with the bad records spread among them. */
    private List<Sent> script(MemstreamSerdes serdes, String input, String output, List<Sent> good, List<Sent> bad) {
        String[] words = {"ash ", "birch ", "cedar ", "dune ", "ember ", "fjord ", "grove ", "heath ", "isle "};
        List<Sent> badQueue = badRecords(serdes, input, output);
        List<Sent> all = new ArrayList<>();
        for (int seq = 0; seq < CHUNKS; seq++) {
            for (int s = 0; s < STREAMS; s++) {
                StringBuilder text = new StringBuilder();
                for (int w = 0; w < 3 + (s * 7 + seq * 3) % 9; w++) {
                    text.append(words[(s + seq * 5 + w) % words.length]);
                }
                TokenChunk c = TokenChunk.newBuilder().setStreamId(stream(s)).setSeq(seq).setText(text.toString())
                        .setProducedAt(Instant.ofEpochMilli(1_700_000_000_000L + seq)).build();
                if ((s + seq) % 3 == 0) {
                    c.setGenerate(GenerateRequest.newBuilder().setMaxNewTokens(8)
                            .setTemperature(s % 2 == 0 ? 0f : 0.8f).setTopP(0.95f).build());
                    generationRequests++;
                }
                Sent sent = new Sent(stream(s), serdes.chunk().serializer().serialize(input, c));
                good.add(sent);
                all.add(sent);
            }
            // one or two bad records per round, until all were sent
            for (int b = 0; b < 2 && !badQueue.isEmpty(); b++) {
                Sent sent = badQueue.remove(0);
                bad.add(sent);
                all.add(sent);
            }
        }
        bad.addAll(badQueue);
        all.addAll(badQueue);
        return all;
    }

    /** One record of each kind that must end as a dead letter, several on the good streams' keys. */
    private static List<Sent> badRecords(MemstreamSerdes serdes, String input, String output) {
        List<Sent> out = new ArrayList<>();
        TokenChunk base = TokenChunk.newBuilder().setStreamId(stream(1)).setSeq(2).setText("a bad one")
                .setProducedAt(Instant.EPOCH).build();
        out.add(new Sent(stream(1), "not avro at all".getBytes(StandardCharsets.UTF_8)));
        byte[] magic = serdes.chunk().serializer().serialize(input, base);
        magic[0] = 0x03;
        out.add(new Sent(stream(1), magic));
        byte[] unknown = serdes.chunk().serializer().serialize(input, base);
        ByteBuffer.wrap(unknown, 1, 4).putInt(4242);
        out.add(new Sent(stream(2), unknown));
        byte[] whole = serdes.chunk().serializer().serialize(input, base);
        out.add(new Sent(stream(2), Arrays.copyOf(whole, whole.length - 4)));
        Continuation other = Continuation.newBuilder().setStreamId(stream(3)).setSeq(0).setModelId("m")
                .setFinishReason(FinishReason.NONE).setStats(ChunkStats.newBuilder().setChunkTokens(1).setBatchSize(1)
                        .setInferenceMillis(0).setChunksAbsorbed(1).setTokensAbsorbed(1).build()).build();
        out.add(new Sent(stream(3), serdes.continuation().serializer().serialize(output, other)));
        byte[] utf8 = serdes.chunk().serializer().serialize(input, TokenChunk.newBuilder(base).setText("xx@@yy").build());
        for (int i = 0; i + 1 < utf8.length; i++) {
            if (utf8[i] == '@' && utf8[i + 1] == '@') {
                utf8[i] = (byte) 0xc3;
                utf8[i + 1] = 0x28;
                break;
            }
        }
        out.add(new Sent(stream(1), utf8));
        out.add(new Sent(stream(4), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(4)).setSeq(-3).build())));
        out.add(new Sent(stream(5), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(5)).setTokens(List.of(1, 2)).build())));
        out.add(new Sent(stream(6), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(6)).setText(null).setTokens(List.of(65, 100_000)).build())));
        out.add(new Sent(stream(7), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(7)).setGenerate(GenerateRequest.newBuilder()
                        .setMaxNewTokens(4).setTemperature(-1f).build()).build())));
        out.add(new Sent(stream(8), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(8)).setText("").build())));
        out.add(new Sent("not-" + stream(9), serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(stream(9)).build())));
        String longId = "L".repeat(300);
        out.add(new Sent(longId, serdes.chunk().serializer().serialize(input,
                TokenChunk.newBuilder(base).setStreamId(longId).build())));
        out.add(new Sent(null, serdes.chunk().serializer().serialize(input, base)));
        return out;
    }

    /** The record's Avro bytes with its one wall-clock field zeroed (and the batch size, unless batch=1). */
    private static byte[] comparable(Continuation c) {
        Continuation copy = Continuation.newBuilder(c).build();
        copy.setStats(ChunkStats.newBuilder(c.getStats()).setInferenceMillis(0.0)
                .setBatchSize(BATCH == 1 ? c.getStats().getBatchSize() : 0).build());
        return new AvroBinarySerde<>(Continuation.class).serializer().serialize("", copy);
    }

    /** Everything but the wall-clock {@code updatedAt}: tensors byte for byte, fingerprint, seq, counters. */
    private static boolean sameMemory(MemoryState expected, MemoryState actual) {
        if (expected == null || actual == null) {
            return expected == actual;
        }
        MemoryState a = MemoryState.newBuilder(expected).setUpdatedAt(Instant.EPOCH).build();
        MemoryState b = MemoryState.newBuilder(actual).setUpdatedAt(Instant.EPOCH).build();
        return a.equals(b);
    }

    /** Records missing from, doubled in, or foreign to the dead-letter topic. */
    private static int dlqDifferences(List<Sent> bad, List<Sent> dead) {
        Map<String, Integer> counts = new HashMap<>();
        for (Sent s : bad) {
            counts.merge(s.key() + "|" + Arrays.toString(s.value()), 1, Integer::sum);
        }
        for (Sent s : dead) {
            counts.merge(s.key() + "|" + Arrays.toString(s.value()), -1, Integer::sum);
        }
        int diff = counts.values().stream().mapToInt(Math::abs).sum();
        if (diff != 0) {
            System.out.println("crash test: dead letters expected " + bad.size() + ", got " + dead.size());
        }
        return diff;
    }

    private static Map<String, String> overrides(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        // The outputs carry 2023 timestamps (the chunks' producedAt): with the default 7-day time-based
        // segment roll and retention, the first record of every output partition was gone by the end of
        // a run; a reader that fell behind would miss records that were committed.
        out.put("log.retention.ms", "-1");
        if (spec != null && !spec.isBlank()) {
            for (String kv : spec.split(",")) {
                int eq = kv.indexOf('=');
                out.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
        }
        return out;
    }

    private static int env(String name, int def) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? def : Integer.parseInt(v.trim());
    }
}
