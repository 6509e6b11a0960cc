package io.memstream.topology;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

/** Starting and stopping Kafka Streams apps in the tests against a real broker. */
final class RunningApps {

    private RunningApps() { }

    /** Starts the app and waits until it is RUNNING (its tasks assigned and restored), 60 s at most. */
    static KafkaStreams start(Topology topology, Properties props) throws InterruptedException {
        KafkaStreams app = new KafkaStreams(topology, props);
        app.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (app.state() != KafkaStreams.State.RUNNING) {
            assertTrue(System.nanoTime() < deadline, "app not RUNNING after 60 s: " + app.state());
            Thread.sleep(50);
        }
        return app;
    }

    /** Closes the app leaving its group, so an app started after it need not wait out the session timeout. */
    static void stop(KafkaStreams app) {
        app.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }
}
