package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.memstream.embedded.BrokerProcess;
import io.memstream.client.TopicCreation;
import io.memstream.model.TestModels;
import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.MemoryState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import io.memstream.topology.CrashRunComparison.Differences;
import io.memstream.topology.CrashRunComparison.Expected;
import io.memstream.topology.CrashRunComparison.Observed;
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
     * Whether the broker is killed at any moment ({@code anytime}) or only while no transaction is
     * being decided ({@code quiet}, the default: the running instances are frozen with SIGSTOP for
     * {@link #QUIET_MILLIS} first). Killed between a commit's decision and its markers, Kafka 4.3.1
     * leaves the committed transaction open on its partitions after the restart (KAFKA-20734 case (2)
     * in docs/RELIABILITY.md): their last stable offset never moves again, whatever the client does.
     * No setting prevents it, so a run that drew such a moment (once since the mitigation, on
     * 2026-12-07) stalled ten minutes and failed on Kafka's bug. {@code anytime} brings the moment
     * back, to check a Kafka release for the fix.
     */
    private static final boolean BROKER_KILL_ANYTIME =
            "anytime".equals(System.getenv("MEMSTREAM_CRASH_BROKER_KILL"));
    /** Longer than a decided transaction's markers take to be written, on a loaded one-node broker. */
    private static final long QUIET_MILLIS = 2_000;
    /**
     * {@code k=v,k=v}: broker settings replacing memstream's one-node ones, to measure a setting's
     * effect with the same test (for example the transaction cleanup interval of issue 7's stall);
     * the test itself keeps every record (no time retention).
     */
    private static final Map<String, String> BROKER_OVERRIDES = overrides(System.getenv("MEMSTREAM_CRASH_BROKER_OVERRIDES"));

    /** A record as sent or read: key (null for none) and value bytes. */
    record Sent(String key, byte[] value) { }

    /** The names of one run, fresh for every run: topics, application id and schema-registry scope. */
    record RunNames(String run, String input, String output, String dlq, String appId, String registryScope) {

        static RunNames fresh() {
            String run = UUID.randomUUID().toString().substring(0, 8);
            return new RunNames(run, "crash-in-" + run, "crash-out-" + run, "crash-dlq-" + run,
                    "crash7-" + run, "crash7-" + run);
        }

        String memoryChangelog() {
            return appId + "-" + MemstreamTopology.MEMORY_STORE + "-changelog";
        }
    }

    /** What the fault schedule did, and the instance exits it did not cause (each of those a failure). */
    static final class Faults {
        int kills;
        int killsUnderWay;   // kills that landed while some chunk was still without its continuation
        int brokerRestarts;
        int unexpectedExits;
    }

    /** The broker and the memstream instances, each in a JVM of its own. */
    record Cluster(BrokerProcess broker, List<ChildJvms.Instance> instances) { }

    /** The output topic as read {@code read_committed} so far: every copy of every continuation, by stream/seq. */
    record CommittedOutputs(KafkaConsumer<byte[], byte[]> reader, MemstreamSerdes serdes, String topic,
                            Map<String, List<byte[]>> byChunk) {

        void pollOnce() {
            drain(reader, serdes, topic, byChunk);
        }

        /** Chunks with at least one continuation. */
        int continued() {
            return byChunk.size();
        }
    }

    /** The records sent at a steady pace from a thread of their own, and what failed that thread if anything did. */
    record PacedProducer(Thread thread, AtomicReference<Throwable> failure) {

        static PacedProducer start(BrokerProcess broker, String input, List<Sent> all) {
            // The producer runs at a steady pace over the whole fault schedule: a kill takes 5-10 s
            // (a pause of 2-6 s, progress since the last one, a restart of 0-3 s), so publication
            // lasts about 9 s per kill and every fault lands on work under way (at 5 s per kill,
            // kills 4-10 of the long run came after the last chunk had been continued).
            long paceMillis = Math.max(50, KILLS * 9_000L / Math.max(1, CHUNKS));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread thread = new Thread(() -> {
                try {
                    CrashTopics.produce(broker.bootstrapServers(), input, all, STREAMS + 2, paceMillis);
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "crash-producer");
            thread.start();
            return new PacedProducer(thread, failure);
        }

        /** Waits up to 5 minutes for the producer to end; fails the test if it failed. */
        void awaitAndCheck() throws InterruptedException {
            thread.join(Duration.ofMinutes(5).toMillis());
            if (failure.get() != null) {
                throw new AssertionError("producer failed", failure.get());
            }
        }
    }

    @Test
    void everyContinuationOnceAndEveryMemoryEqualUnderKillsAndABrokerRestart() throws Exception {
        long started = System.nanoTime();
        Random random = new Random(SEED);
        RunNames names = RunNames.fresh();
        Path work = Files.createTempDirectory("memstream-crash7-");
        System.out.printf("crash test: seed %d, %d kills, %d streams x %d chunks, batch %d, broker overrides %s, logs in %s%n",
                SEED, KILLS, STREAMS, CHUNKS, BATCH, BROKER_OVERRIDES, work);
        MemstreamSerdes serdes = new MemstreamSerdes(Map.of("schema.registry.url", "mock://" + names.registryScope()));
        InstanceChildMain.registerInOrder(serdes, names.input(), names.output());
        CrashScript script = CrashScript.write(serdes, names.input(), names.output(), STREAMS, CHUNKS);
        List<Sent> good = script.good();
        List<Sent> bad = script.bad();
        List<Sent> all = script.all();

        Faults faults = new Faults();
        Observed observed = runUnderFaults(names, work, serdes, all, good.size(), random, started, faults);
        Expected expected = oracle(names, all);
        Differences differences = CrashRunComparison.compare(expected, observed, bad);
        String summary = summary(faults, script, observed, expected, differences, started);
        publish(summary);

        assertEquals(good.size(), expected.continuations().size(), "the oracle continues every good chunk");
        assertEquals(0, faults.unexpectedExits, "instances that stopped by themselves (logs in " + work + ")");
        assertEquals(0, differences.missing() + differences.duplicates() + differences.extra(), summary);
        assertEquals(0, differences.mismatches(), summary);
        assertEquals(0, differences.memoryMismatches(), summary);
        assertEquals(0, differences.dlqMismatches(), summary);
        assertEquals(KILLS, faults.kills);
        assertEquals(BROKER_RESTART ? 1 : 0, faults.brokerRestarts);
    }

    /**
     * The broker and two instances, the records produced while the fault schedule runs, then everything
     * committed read back. The instances are stopped before the broker.
     */
    private static Observed runUnderFaults(RunNames names, Path work, MemstreamSerdes serdes, List<Sent> all,
                                           int goodChunks, Random random, long started, Faults faults) throws Exception {
        Map<String, List<byte[]>> outputs = new HashMap<>();
        try (BrokerProcess broker = ChildJvms.broker(work.resolve("broker"), BROKER_OVERRIDES)) {
            broker.start(Duration.ofSeconds(300));
            createTopics(broker.bootstrapServers(), names);
            Map<String, String> settings = instanceSettings(broker.bootstrapServers(), names);
            List<ChildJvms.Instance> instances = List.of(
                    new ChildJvms.Instance("a", work, names.registryScope(), names.input(), names.output(), settings),
                    new ChildJvms.Instance("b", work, names.registryScope(), names.input(), names.output(), settings));
            Cluster cluster = new Cluster(broker, instances);
            try {
                for (ChildJvms.Instance i : instances) {
                    i.start();
                }
                PacedProducer producer = PacedProducer.start(broker, names.input(), all);
                try (KafkaConsumer<byte[], byte[]> reader =
                             CrashTopics.committedReader(broker.bootstrapServers(), names.output())) {
                    CommittedOutputs committed = new CommittedOutputs(reader, serdes, names.output(), outputs);
                    killAndRestart(cluster, committed, goodChunks, random, started, faults);
                    producer.awaitAndCheck();

                    // Everything read_committed: outputs until every chunk has one (or time is up), then a
                    // little longer to catch late duplicates; dead letters and the memory changelog to the end.
                    readUntilQuiet(cluster, committed, names, goodChunks, faults);
                }
                List<Sent> deadLetters = new ArrayList<>(CrashTopics.readToEnd(broker.bootstrapServers(), names.dlq()));
                Map<String, MemoryState> memories = lastMemories(broker.bootstrapServers(), names, serdes);
                return new Observed(outputs, deadLetters, memories);
            } finally {
                for (ChildJvms.Instance i : instances) {
                    i.close();
                }
            }
        }
    }

    private static void createTopics(String bootstrapServers, RunNames names) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(names.input(), PARTITIONS, (short) 1),
                    new NewTopic(names.output(), PARTITIONS, (short) 1),
                    new NewTopic(names.dlq(), 1, (short) 1)));
        }
    }

    /** The settings both instances run with ({@code memstream run}'s -D settings). */
    private static Map<String, String> instanceSettings(String bootstrapServers, RunNames names) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("bootstrap.servers", bootstrapServers);
        settings.put("application.id", names.appId());
        settings.put("schema.registry.url", "mock://" + names.registryScope());
        settings.put("input.topic", names.input());
        settings.put("output.topic", names.output());
        settings.put("dlq.topic", names.dlq());
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
        return settings;
    }

    /**
     * The fault schedule: KILLS times, a random instance killed with SIGKILL and started again after a
     * random pause; at the middle kill ({@code k == KILLS / 2}, unless the broker restart is off) the broker
     * too is killed and restarted while the victim is down.
     */
    private static void killAndRestart(Cluster cluster, CommittedOutputs committed, int goodChunks, Random random,
                                       long started, Faults faults) throws Exception {
        List<ChildJvms.Instance> instances = cluster.instances();
        int brokerRestartAt = BROKER_RESTART ? KILLS / 2 : -1;
        for (int k = 0; k < KILLS; k++) {
            awaitPauseAndProgress(cluster, committed, goodChunks, random, faults);
            ChildJvms.Instance victim = instances.get(random.nextInt(instances.size()));
            victim.kill();
            faults.kills++;
            if (committed.continued() < goodChunks) {
                faults.killsUnderWay++;
            }
            System.out.printf("crash test: kill -9 #%d: instance %s at %.1f s, %d of %d continued%n", faults.kills,
                    victim.name, (System.nanoTime() - started) / 1e9, committed.continued(), goodChunks);
            if (k == brokerRestartAt) {
                // The broker too, while the victim is down; the victim starts once the broker is
                // back, as its start-up check (rightly) refuses to start without one.
                restartBroker(cluster, victim, random, started);
                faults.brokerRestarts++;
            } else {
                Thread.sleep(random.nextInt(3_000));
            }
            victim.start();
        }
    }

    /**
     * A random pause, and some committed progress since the last fault, so that every fault lands while
     * work is under way (and not only on JVMs still starting); at most 180 s.
     */
    private static void awaitPauseAndProgress(Cluster cluster, CommittedOutputs committed, int goodChunks,
                                              Random random, Faults faults) throws Exception {
        int before = committed.continued();
        long earliest = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_000 + random.nextInt(4_000));
        long latest = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < latest && (System.nanoTime() < earliest
                || (committed.continued() == before && committed.continued() < goodChunks))) {
            committed.pollOnce();
            faults.unexpectedExits += restartExited(cluster.instances());
        }
    }

    /**
     * Kills the broker after a random pause of up to 2 s, and starts it again a second later. Unless
     * {@link #BROKER_KILL_ANYTIME}, the instances other than the victim are frozen meanwhile, from
     * {@link #QUIET_MILLIS} before the kill (for the markers of a transaction decided before they
     * froze) until the broker is back.
     */
    private static void restartBroker(Cluster cluster, ChildJvms.Instance victim, Random random, long started)
            throws Exception {
        List<ChildJvms.Instance> frozen = BROKER_KILL_ANYTIME ? List.of()
                : cluster.instances().stream().filter(i -> i != victim && i.alive()).toList();
        for (ChildJvms.Instance i : frozen) {
            i.pause();
        }
        try {
            Thread.sleep(random.nextInt(2_000) + (BROKER_KILL_ANYTIME ? 0 : QUIET_MILLIS));
            cluster.broker().kill();
            System.out.printf("crash test: broker killed at %.1f s%s%n", (System.nanoTime() - started) / 1e9,
                    BROKER_KILL_ANYTIME ? "" : ", the instances frozen");
            Thread.sleep(1_000);
            cluster.broker().start(Duration.ofSeconds(300));
            System.out.printf("crash test: broker back at %.1f s%n", (System.nanoTime() - started) / 1e9);
        } finally {
            for (ChildJvms.Instance i : frozen) {
                i.resume();
            }
        }
    }

    /**
     * Reads outputs until every good chunk has one or 10 minutes have passed, then 5 s longer for late
     * duplicates; after 60 s without progress, prints what the broker says about the stall.
     */
    private static void readUntilQuiet(Cluster cluster, CommittedOutputs committed, RunNames names, int goodChunks,
                                       Faults faults) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        long lastProgress = System.nanoTime();
        int distinct = committed.continued();
        long quietUntil = Long.MAX_VALUE;
        while (System.nanoTime() < Math.min(deadline, quietUntil)) {
            committed.pollOnce();
            faults.unexpectedExits += restartExited(cluster.instances());
            if (committed.continued() > distinct) {
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > Duration.ofSeconds(60).toNanos()) {
                lastProgress = System.nanoTime();
                CrashTopics.diagnose(cluster.broker().bootstrapServers(), names.appId(), names.run(),
                        committed.continued(), goodChunks);
            }
            distinct = committed.continued();
            if (distinct >= goodChunks && quietUntil == Long.MAX_VALUE) {
                quietUntil = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            }
        }
    }

    /** Every stream's last memory in the memory store's changelog (null where the last record is a tombstone). */
    private static Map<String, MemoryState> lastMemories(String bootstrapServers, RunNames names, MemstreamSerdes serdes) {
        Map<String, MemoryState> memories = new HashMap<>();
        for (Sent s : CrashTopics.readToEnd(bootstrapServers, names.memoryChangelog())) {
            memories.put(s.key(), s.value() == null ? null
                    : serdes.memoryState().deserializer().deserialize("", s.value()));
        }
        return memories;
    }

    /** The oracle: the same records, in the same order, through one fault-free instance. */
    private static Expected oracle(RunNames names, List<Sent> all) {
        Map<String, byte[]> continuations = new HashMap<>();
        Map<String, MemoryState> memories = new HashMap<>();
        try (TopologyHarness h = new TopologyHarness(Map.of(TopologyConfig.INPUT_TOPIC, names.input(),
                TopologyConfig.OUTPUT_TOPIC, names.output(), TopologyConfig.DLQ_TOPIC, names.dlq(),
                TopologyConfig.BATCH_MAX_SIZE, "1"))) {
            InstanceChildMain.registerInOrder(h.serdes, names.input(), names.output());
            for (Sent s : all) {
                h.rawInput.pipeInput(s.key(), s.value());
            }
            h.tick();
            for (Continuation c : h.readAll()) {
                continuations.put(c.getStreamId() + "/" + c.getSeq(), comparable(c));
            }
            for (int s = 0; s < STREAMS; s++) {
                memories.put(CrashScript.stream(s), h.memory().get(CrashScript.stream(s)));
            }
        }
        return new Expected(continuations, memories);
    }

    /** The run's counts in one line, {@code key=value} each (tools/reliability/crash-test.sh reads the keys). */
    private static String summary(Faults faults, CrashScript script, Observed observed, Expected expected,
                                  Differences d, long started) {
        int outputCount = observed.outputs().values().stream().mapToInt(List::size).sum();
        return String.format("kills=%d kills_under_way=%d broker_restarts=%d broker_kill=%s unexpected_exits=%d "
                        + "streams=%d chunks=%d generation_requests=%d bad_records=%d outputs=%d expected_outputs=%d duplicates=%d missing=%d "
                        + "extra=%d mismatches=%d memory_streams=%d memory_mismatches=%d dead_letters=%d dlq_mismatches=%d "
                        + "batch=%d seed=%d seconds=%d",
                faults.kills, faults.killsUnderWay, faults.brokerRestarts,
                BROKER_KILL_ANYTIME ? "anytime" : "quiet", faults.unexpectedExits, STREAMS, script.good().size(),
                script.generationRequests(), script.bad().size(), outputCount, expected.continuations().size(), d.duplicates(),
                d.missing(), d.extra(), d.mismatches(), expected.memories().size(), d.memoryMismatches(),
                observed.deadLetters().size(), d.dlqMismatches(), BATCH, SEED,
                (System.nanoTime() - started) / 1_000_000_000L);
    }

    /** Printed, and written to {@code target/reliability/crash-summary.txt}. */
    private static void publish(String summary) throws Exception {
        System.out.println("CRASH-RESULT " + summary);
        Path report = Path.of("target", "reliability");
        Files.createDirectories(report);
        Files.writeString(report.resolve("crash-summary.txt"), summary + "\n");
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

    /** The record's Avro bytes with its one wall-clock field zeroed (and the batch size, unless batch=1). */
    private static byte[] comparable(Continuation c) {
        Continuation copy = Continuation.newBuilder(c).build();
        copy.setStats(ChunkStats.newBuilder(c.getStats()).setInferenceMillis(0.0)
                .setBatchSize(BATCH == 1 ? c.getStats().getBatchSize() : 0).build());
        return new AvroBinarySerde<>(Continuation.class).serializer().serialize("", copy);
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
