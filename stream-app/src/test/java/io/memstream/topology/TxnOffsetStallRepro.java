package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.memstream.embedded.BrokerProcess;
import io.memstream.client.TopicCreation;
import io.memstream.embedded.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Issue 7's broker-restart stall without memstream: a plain transactional producer in a
 * consume-transform-produce loop ({@code sendOffsetsToTransaction} for a group, 4 input partitions),
 * the one-node broker ({@link io.memstream.embedded.BrokerMain}) killed with SIGKILL at a random moment of the loop
 * (the loop's process "dies" with it, like a memstream instance), restarted on its data; then a fresh
 * {@code read_committed} consumer of that group asks for the committed offsets. A trial stalls when
 * that answer never comes ("unstable offsets"): a transactional offset commit stays pending.
 *
 * <p>Off unless {@code MEMSTREAM_REPRO_TRIALS} is set (each trial restarts a broker: about a minute).
 * {@code MEMSTREAM_REPRO_CLEANUP_MS} replaces the broker's
 * {@code transaction.abort.timed.out.transaction.cleanup.interval.ms} (default: memstream's one-node
 * setting), {@code MEMSTREAM_REPRO_TXN_TIMEOUT_MS} the producer's {@code transaction.timeout.ms}
 * (default 10000, Streams' under exactly-once), {@code MEMSTREAM_REPRO_DOWN_MS} how long the broker
 * stays down (default 1000). Prints {@code REPRO-RESULT} and, for each stall, the broker-side state
 * and whether the same transactional.id's {@code initTransactions}, then KIP-664's
 * {@code abortTransaction}, clear it; fails if any trial stalled or left a transaction hanging.
 */
class TxnOffsetStallRepro {

    private static final int TRIALS = env("MEMSTREAM_REPRO_TRIALS", 0);
    private static final String CLEANUP_MS = blankAsNull(System.getenv("MEMSTREAM_REPRO_CLEANUP_MS"));
    private static final int TXN_TIMEOUT_MS = env("MEMSTREAM_REPRO_TXN_TIMEOUT_MS", 10_000);
    private static final int DOWN_MS = env("MEMSTREAM_REPRO_DOWN_MS", 1_000);
    private static final long SEED = env("MEMSTREAM_REPRO_SEED", (int) (System.nanoTime() & 0x7fffffff));
    private static final int PARTITIONS = 4;
    private static final String CLEANUP_KEY = "transaction.abort.timed.out.transaction.cleanup.interval.ms";

    @Test
    void committedOffsetsAreStableAfterTheBrokerIsKilledMidTransaction() throws Exception {
        assumeTrue(TRIALS > 0, "set MEMSTREAM_REPRO_TRIALS to run");
        String cleanup = CLEANUP_MS != null ? CLEANUP_MS
                : EmbeddedKafkaBroker.ONE_NODE.getOrDefault(CLEANUP_KEY, "10000 (Kafka's default)");
        Random random = new Random(SEED);
        Path work = Files.createTempDirectory("memstream-txnrepro-");
        int stalls = 0;
        int hanging = 0;
        int clearedByInit = 0;
        int clearedByAbort = 0;
        for (int t = 0; t < TRIALS; t++) {
            Outcome o = trial(work.resolve("trial-" + t), t, random);
            System.out.printf("repro trial %d: %s%n", t, o);
            stalls += o.stalled ? 1 : 0;
            hanging += o.hangingPartitions > 0 ? 1 : 0;
            clearedByInit += o.clearedByInit ? 1 : 0;
            clearedByAbort += o.clearedByAbort ? 1 : 0;
        }
        String summary = String.format("trials=%d stalls=%d trials_with_hanging_partitions=%d cleared_by_init=%d "
                        + "cleared_by_abort=%d cleanup_interval_ms=%s txn_timeout_ms=%d down_ms=%d seed=%d logs=%s",
                TRIALS, stalls, hanging, clearedByInit, clearedByAbort, cleanup, TXN_TIMEOUT_MS, DOWN_MS, SEED, work);
        System.out.println("REPRO-RESULT " + summary);
        assertEquals(0, stalls, summary);
        assertEquals(0, hanging, summary);
    }

    private record Outcome(boolean stalled, int hangingPartitions, boolean clearedByInit, boolean clearedByAbort,
                           boolean markersSkipped,
                           int commitsBeforeKill, boolean inTransactionAtKill, double killAfterSeconds) { }

    private Outcome trial(Path dir, int t, Random random) throws Exception {
        Map<String, String> overrides = CLEANUP_MS == null ? Map.of() : Map.of(CLEANUP_KEY, CLEANUP_MS);
        String in = "repro-in-" + t;
        String out = "repro-out-" + t;
        String group = "repro-group-" + t;
        String txnId = "repro-txn-" + t;
        try (BrokerProcess broker = ChildJvms.broker(dir, overrides)) {
            broker.start(Duration.ofSeconds(300));
            String bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(in, PARTITIONS, (short) 1),
                        new NewTopic(out, PARTITIONS, (short) 1)));
            }
            produceInput(bootstrap, in, 20_000);

            // The loop: like a Streams task under exactly-once, a transaction is open most of the time.
            AtomicBoolean stop = new AtomicBoolean();
            AtomicBoolean inTxn = new AtomicBoolean();
            AtomicInteger commits = new AtomicInteger();
            KafkaProducer<byte[], byte[]> producer = transactionalProducer(bootstrap, txnId);
            KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, group);
            List<TopicPartition> inputs = partitions(in);
            consumer.assign(inputs);
            Thread loop = new Thread(() -> {
                try {
                    producer.initTransactions();
                    while (!stop.get()) {
                        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                        if (records.isEmpty()) {
                            continue;
                        }
                        producer.beginTransaction();
                        inTxn.set(true);
                        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                        for (ConsumerRecord<byte[], byte[]> r : records) {
                            producer.send(new ProducerRecord<>(out, r.partition(), r.key(), r.value()));
                            next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                        }
                        Thread.sleep(50); // the "processing" between a transaction's first send and its commit
                        producer.sendOffsetsToTransaction(next, new ConsumerGroupMetadata(group));
                        producer.commitTransaction();
                        inTxn.set(false);
                        commits.incrementAndGet();
                    }
                } catch (Exception | Error dead) {
                    // the broker died under it, or it was "killed"
                }
            }, "repro-loop-" + t);
            loop.start();
            long started = System.nanoTime();
            long killAt = 2_000 + random.nextInt(4_000);
            while ((System.nanoTime() - started) / 1_000_000 < killAt || commits.get() == 0) {
                Thread.sleep(20);
            }
            boolean openAtKill = inTxn.get();
            int commitsAtKill = commits.get();
            broker.kill();
            double killedAfter = (System.nanoTime() - started) / 1e9;
            // The loop's process dies with the broker: no abort, no further request.
            stop.set(true);
            producer.close(Duration.ZERO);
            consumer.wakeup();
            loop.join(30_000);
            try {
                consumer.close(Duration.ZERO);
            } catch (RuntimeException ignored) {
                // closing a consumer whose broker is gone
            }
            Thread.sleep(DOWN_MS);
            broker.start(Duration.ofSeconds(300));

            // A transaction open at the kill is legitimately open (its offsets unstable) until it times out
            // and the broker's periodic cleanup aborts it: only what is still open after that is hanging.
            long cleanupMs = CLEANUP_MS == null ? Long.parseLong(EmbeddedKafkaBroker.ONE_NODE
                    .getOrDefault(CLEANUP_KEY, "10000")) : Long.parseLong(CLEANUP_MS);
            long deadline = System.nanoTime() + Duration.ofMillis(TXN_TIMEOUT_MS + cleanupMs + 30_000).toNanos();
            List<TopicPartition> watched = new ArrayList<>(partitions(out));
            watched.add(new TopicPartition("__consumer_offsets", 0));
            boolean stalled;
            int hangingPartitions;
            boolean clearedByInit = false;
            boolean clearedByAbort = false;
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                Map<TopicPartition, List<ProducerState>> open;
                do {
                    Duration left = Duration.ofNanos(Math.max(1_000_000_000L, deadline - System.nanoTime()));
                    stalled = !committedAnswers(bootstrap, group, inputs, left);
                    open = openTransactions(admin, watched);
                    if (open.isEmpty() && !stalled) {
                        break;
                    }
                    Thread.sleep(1_000);
                } while (System.nanoTime() < deadline);
                hangingPartitions = open.size();
                boolean markersSkipped = Files.readString(broker.log()).contains("likely deleted already");
                if (stalled || hangingPartitions > 0) {
                    System.out.printf("repro trial %d STALL: transactions %s%n", t, describeTransactions(admin));
                    System.out.printf("repro trial %d STALL: open transactions on partitions %s%n", t, open);
                    for (String line : Files.readAllLines(broker.log(), StandardCharsets.UTF_8)) {
                        if (line.contains("likely deleted") || line.contains("rollback") || line.contains("txn coordinator")
                                || line.contains("loading of metadata from __consumer_offsets")) {
                            System.out.printf("repro trial %d broker: %s%n", t, line.length() > 400 ? line.substring(0, 400) : line);
                        }
                    }
                    // Does the same transactional.id starting again clear it?
                    try (KafkaProducer<byte[], byte[]> again = transactionalProducer(bootstrap, txnId)) {
                        again.initTransactions();
                    }
                    clearedByInit = committedAnswers(bootstrap, group, inputs, Duration.ofSeconds(20))
                            && openTransactions(admin, watched).isEmpty();
                    Map<TopicPartition, List<ProducerState>> left = openTransactions(admin, watched);
                    System.out.printf("repro trial %d after initTransactions: open transactions %s%n", t, left);
                    // KIP-664's remedy (kafka-transactions.sh abort): an abort marker written to each partition.
                    for (var e : left.entrySet()) {
                        for (ProducerState p : e.getValue()) {
                            try {
                                admin.abortTransaction(new AbortTransactionSpec(e.getKey(), p.producerId(),
                                        (short) p.producerEpoch(), p.coordinatorEpoch().orElse(0))).all().get();
                            } catch (ExecutionException refused) {
                                System.out.printf("repro trial %d abortTransaction on %s refused: %s%n", t, e.getKey(),
                                        refused.getCause());
                            }
                        }
                    }
                    clearedByAbort = committedAnswers(bootstrap, group, inputs, Duration.ofSeconds(20))
                            && openTransactions(admin, watched).isEmpty();
                    System.out.printf("repro trial %d after abortTransaction: open transactions %s%n", t,
                            openTransactions(admin, watched));
                }
                if (!stalled && hangingPartitions == 0) {
                    broker.close();
                    deleteTree(dir);
                }
                return new Outcome(stalled, hangingPartitions, clearedByInit, clearedByAbort, markersSkipped,
                        commitsAtKill, openAtKill, killedAfter);
            }
        }
    }

    /** Whether a read_committed consumer of the group gets its committed offsets within the patience. */
    private static boolean committedAnswers(String bootstrap, String group, List<TopicPartition> parts, Duration patience) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap, group)) {
            c.committed(Set.copyOf(parts), patience);
            return true;
        } catch (TimeoutException unstable) {
            return false;
        }
    }

    /** Partitions with a transaction open in the log (KIP-664's describeProducers), by producer. */
    private static Map<TopicPartition, List<ProducerState>> openTransactions(Admin admin, List<TopicPartition> parts)
            throws Exception {
        Map<TopicPartition, List<ProducerState>> open = new HashMap<>();
        admin.describeProducers(parts).all().get().forEach((tp, d) -> {
            List<ProducerState> active = d.activeProducers().stream()
                    .filter(p -> p.currentTransactionStartOffset().isPresent()).toList();
            if (!active.isEmpty()) {
                open.put(tp, active);
            }
        });
        return open;
    }

    private static String describeTransactions(Admin admin) throws Exception {
        List<String> ids = admin.listTransactions().all().get().stream().map(l -> l.transactionalId()).toList();
        return ids.isEmpty() ? "none" : admin.describeTransactions(ids).all().get().toString();
    }

    /**
     * Not idempotent: the input only has to be there (a duplicate does not matter), and an idempotent
     * producer on this loaded machine once retried a batch into OUT_OF_ORDER_SEQUENCE_NUMBER forever.
     */
    private static void produceInput(String bootstrap, String topic, int n) {
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.ACKS_CONFIG, "1",
                ProducerConfig.LINGER_MS_CONFIG, 5), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
                p.send(new ProducerRecord<>(topic, i % PARTITIONS, key, key));
            }
        }
    }

    private static KafkaProducer<byte[], byte[]> transactionalProducer(String bootstrap, String txnId) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TXN_TIMEOUT_MS,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String group) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 40),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(String topic) {
        return IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(topic, p)).collect(Collectors.toList());
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a temp directory left behind
        }
    }

    private static String blankAsNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static int env(String name, int def) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? def : Integer.parseInt(v.trim());
    }
}
