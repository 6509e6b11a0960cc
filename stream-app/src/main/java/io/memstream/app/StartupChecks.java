package io.memstream.app;

import io.memstream.config.MemstreamConfig;
import io.memstream.registry.RegistryAccessDeniedException;
import io.memstream.registry.SchemaRegistryClient;
import io.memstream.registry.SchemaRegistryClients;
import io.memstream.registry.SchemaRegistryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * What must hold before Kafka Streams starts, checked once with a clear message each, because
 * Streams itself would not say it plainly: an unreachable broker only gives endless reconnect
 * warnings, a missing input topic or an unwritable state directory a stack trace, and an
 * unreachable registry would only show up with the first record (as dead letters).
 */
final class StartupChecks {

    /** How long the broker may take to answer at start, unless {@code default.api.timeout.ms} says otherwise. */
    static final Duration DEFAULT_BROKER_TIMEOUT = Duration.ofSeconds(30);

    private StartupChecks() { }

    /** Local checks, before the model is loaded: the state directory must be writable. */
    static void local(MemstreamConfig config) {
        Properties props = config.streamsProperties();
        // Streams' own default when state.dir is not set.
        Path dir = Path.of(props.getProperty(StreamsConfig.STATE_DIR_CONFIG,
                Path.of(System.getProperty("java.io.tmpdir"), "kafka-streams").toString()));
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".memstream-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new StartupCheckException("state.dir " + dir.toAbsolutePath() + " is not a writable directory ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    /** Network checks: the broker answers and has the input topic; the registry answers. */
    static void remote(MemstreamConfig config) {
        broker(config);
        registry(config);
    }

    private static void broker(MemstreamConfig config) {
        Properties props = config.streamsProperties();
        Map<String, Object> admin = new HashMap<>();
        // Only the admin client's keys (security settings included), so it logs no unknown-key warnings.
        for (String key : props.stringPropertyNames()) {
            if (AdminClientConfig.configNames().contains(key)) {
                admin.put(key, props.getProperty(key));
            }
        }
        Duration timeout = Duration.ofMillis(Long.parseLong(props.getProperty(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(DEFAULT_BROKER_TIMEOUT.toMillis()))));
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
        admin.put(AdminClientConfig.CLIENT_ID_CONFIG, config.applicationId() + "-startup-check");
        String servers = config.bootstrapServers();
        String input = config.topology().inputTopic();
        try (Admin client = Admin.create(admin)) {
            client.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            client.describeTopics(List.of(input)).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw unreachable(servers, timeout);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UnknownTopicOrPartitionException) {
                throw new StartupCheckException("input topic '" + input + "' does not exist on " + servers
                        + " (create it, or name another with input.topic)");
            }
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw unreachable(servers, timeout);
            }
            throw new StartupCheckException("Kafka at " + servers + " refused the start-up check: "
                    + cause.getClass().getSimpleName() + ": " + cause.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupCheckException("interrupted while checking Kafka at " + servers);
        } catch (org.apache.kafka.common.KafkaException e) {
            // Admin.create rejects unresolvable or malformed bootstrap addresses itself.
            throw new StartupCheckException("cannot connect to Kafka at " + servers + ": " + e.getMessage());
        }
    }

    private static StartupCheckException unreachable(String servers, Duration timeout) {
        return new StartupCheckException("no Kafka broker answered at " + servers + " within " + timeout.toMillis()
                + " ms (bootstrap.servers; the wait is default.api.timeout.ms): is the broker up, are the address and the "
                + "security settings right?");
    }

    /**
     * Asks the registry for the input subject's latest schema: "not found" is a fine answer (no
     * producer has registered yet); only an unreachable registry or refused credentials fail.
     */
    private static void registry(MemstreamConfig config) {
        String subject = config.topology().inputTopic() + "-value";
        try (SchemaRegistryClient client = SchemaRegistryClients.fromConfig(config.registryConfigs())) {
            client.latest(subject);
        } catch (RegistryAccessDeniedException e) {
            throw new StartupCheckException("the schema registry refused memstream's credentials: " + e.getMessage());
        } catch (SchemaRegistryException e) {
            if (e.errorCode() == -1 || e.errorCode() >= 50000 || (e.errorCode() >= 500 && e.errorCode() < 600)) {
                throw new StartupCheckException("the schema registry (schema.registry.url) did not answer: " + e.getMessage());
            }
            // 40401 and the like: the registry answered.
        } catch (Exception e) {
            throw new StartupCheckException("the schema registry check failed: " + e);
        }
    }
}
