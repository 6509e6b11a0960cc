package io.memstream.client;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates topics and returns once every partition's leader serves it, so that a producer can write
 * at once. {@code createTopics} completes when the controller has accepted the topics, before the
 * broker has taken up leadership of them: an idempotent producer writing then had its first batch
 * refused (NOT_LEADER_OR_FOLLOWER) while later batches were appended, and its retries of that first
 * batch then failed as out of order until the delivery timeout (seen in MergedBatchesBrokerTest;
 * Kafka's KAFKA-15591, fixed in brokers from 4.5). A leader in the metadata is not enough either:
 * the broker's metadata cache names it before its replica manager has created the partition (the
 * same failure, once, in a CI run of 2026-12-07), so the wait ends when the leader answers a
 * ListOffsets request for every partition, which it serves from the partition itself, as it does
 * a produce. Used by the embedded demo, the benchmark and the tests; memstream never creates user
 * topics in {@code run}. {@code publish} waits the same way for the topic it writes to
 * ({@link #awaitServingIfExists}), which someone may have created moments before.
 */
public final class TopicCreation {

    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration LEADER_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration UNKNOWN_GRACE = Duration.ofMillis(500);

    private TopicCreation() {
    }

    public static void createAndAwaitLeaders(Admin admin, Collection<NewTopic> topics)
            throws InterruptedException, ExecutionException, TimeoutException {
        admin.createTopics(topics).all().get();
        awaitLeaders(admin, topics.stream().map(NewTopic::name).toList(), LEADER_TIMEOUT);
    }

    /**
     * If the topic {@code name} exists, waits until each of its partitions has a leader that serves it,
     * so that a producer can write to a topic created moments before, and returns true. Returns false
     * for a topic the cluster still does not know after half a second (a topic created moments
     * before reaches the broker's metadata within milliseconds): that is left to the producer, which a
     * broker with {@code auto.create.topics.enable} answers by creating it, and any other by its own error.
     */
    public static boolean awaitServingIfExists(Admin admin, String name)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + UNKNOWN_GRACE.toNanos();
        while (!exists(admin, name)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(POLL.toMillis());
        }
        awaitLeaders(admin, List.of(name), LEADER_TIMEOUT);
        return true;
    }

    private static boolean exists(Admin admin, String name) throws InterruptedException, ExecutionException {
        return describe(admin, List.of(name)) != null;
    }

    /** The topics' descriptions, or null while this broker's metadata does not know one of them. */
    private static Collection<TopicDescription> describe(Admin admin, List<String> names)
            throws InterruptedException, ExecutionException {
        try {
            return admin.describeTopics(names).allTopicNames().get().values();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return null;
            }
            throw e;
        }
    }

    /**
     * Waits until the broker reports a leader for every partition of {@code names} and each leader
     * answers for its partition.
     */
    public static void awaitLeaders(Admin admin, List<String> names, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> waiting = waitingFor(admin, names);
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("no serving leader after " + timeout + " for partitions of " + waiting);
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /**
     * The topics of {@code names} not ready yet: those with a partition without a leader, or all of
     * them while some leader does not answer a ListOffsets request for its partition.
     */
    private static List<String> waitingFor(Admin admin, List<String> names)
            throws InterruptedException, ExecutionException {
        Collection<TopicDescription> topics = describe(admin, names);
        if (topics == null) {
            return names; // created, but not yet in this broker's metadata
        }
        List<String> leaderless = topics.stream().filter(TopicCreation::lacksLeader).map(TopicDescription::name).toList();
        if (!leaderless.isEmpty()) {
            return leaderless;
        }
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        for (TopicDescription d : topics) {
            d.partitions().forEach(p -> partitions.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest()));
        }
        try {
            admin.listOffsets(partitions).all().get();
            return List.of();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RetriableException) {
                return names; // NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE: not yet
            }
            throw e;
        }
    }

    private static boolean lacksLeader(TopicDescription d) {
        return d.partitions().isEmpty() || d.partitions().stream().anyMatch(p -> p.leader() == null || p.leader().isEmpty());
    }
}
