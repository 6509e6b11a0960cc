package io.memstream.client;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;

/**
 * Creates topics and returns once every partition has a leader, so that a producer can write at
 * once. {@code createTopics} completes when the controller has accepted the topics, before the
 * broker has taken up leadership of them: an idempotent producer writing then had its first batch
 * refused (NOT_LEADER_OR_FOLLOWER) while later batches were appended, and its retries of that first
 * batch then failed as out of order until the delivery timeout (seen in MergedBatchesBrokerTest).
 * Used by the embedded demo, the benchmark and the tests; memstream never creates user topics in
 * {@code run}.
 */
public final class TopicCreation {

    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration LEADER_TIMEOUT = Duration.ofSeconds(30);

    private TopicCreation() {
    }

    public static void createAndAwaitLeaders(Admin admin, Collection<NewTopic> topics)
            throws InterruptedException, ExecutionException, TimeoutException {
        admin.createTopics(topics).all().get();
        awaitLeaders(admin, topics.stream().map(NewTopic::name).toList(), LEADER_TIMEOUT);
    }

    /** Waits until the broker reports a leader for every partition of {@code names}. */
    public static void awaitLeaders(Admin admin, List<String> names, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> leaderless = leaderless(admin, names);
            if (leaderless.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("no leader after " + timeout + " for partitions of " + leaderless);
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private static List<String> leaderless(Admin admin, List<String> names)
            throws InterruptedException, ExecutionException {
        try {
            return admin.describeTopics(names).allTopicNames().get().values().stream()
                    .filter(TopicCreation::lacksLeader).map(TopicDescription::name).toList();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) {
                return names; // created, but not yet in this broker's metadata
            }
            throw e;
        }
    }

    private static boolean lacksLeader(TopicDescription d) {
        return d.partitions().isEmpty() || d.partitions().stream().anyMatch(p -> p.leader() == null || p.leader().isEmpty());
    }
}
