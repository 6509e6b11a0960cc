package io.memstream.topology;

import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelRuntime;
import io.memstream.model.TestModels;
import io.memstream.schema.ChunkStats;
import io.memstream.schema.Continuation;
import io.memstream.schema.TokenChunk;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The processor in a JVM of its own, for {@link CrashRecoveryBrokerTest} to kill with SIGKILL.
 * Args: bootstrap servers, application id, state dir, registry scope, input, output, dlq topics.
 * It registers TokenChunk then Continuation in its in-process registry, in that order, so the
 * schema ids match those of the test JVM, which registers them in the same order.
 */
public final class ProcessorChildMain {

    private ProcessorChildMain() { }

    public static void main(String[] args) throws Exception {
        Properties user = new Properties();
        user.put(TopologyConfig.INPUT_TOPIC, args[4]);
        user.put(TopologyConfig.OUTPUT_TOPIC, args[5]);
        user.put(TopologyConfig.DLQ_TOPIC, args[6]);
        // 4: the crash test's tasks hold about 6 streams each, so full batches form and go to the model
        // worker (batch.overlap, the default) as well as partial ones from the punctuator; a kill then
        // also lands while batches are with the worker, their results not yet applied.
        user.put(TopologyConfig.BATCH_MAX_SIZE, "4");
        user.put(TopologyConfig.BATCH_MAX_WAIT_MS, "10");
        TopologyConfig config = TopologyConfig.fromProperties(user);
        MemstreamSerdes serdes = new MemstreamSerdes(Map.of("schema.registry.url", "mock://" + args[3]));
        registerInOrder(serdes, config);

        user.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
        user.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        user.put(StreamsConfig.STATE_DIR_CONFIG, args[2]);
        user.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
        user.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        user.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "2");
        // A killed instance never leaves the group: keep the wait for its session to expire short.
        user.put(StreamsConfig.consumerPrefix("session.timeout.ms"), "6000");
        user.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), "1000");
        user.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        // Two ORT threads shared by two stream threads: the production shape (model.threads = CPUs).
        ModelRuntime runtime = ModelRuntime.load(TestModels.tiny(), DeviceChoice.CPU, 2);
        KafkaStreams app = new KafkaStreams(MemstreamTopology.build(config, runtime, serdes, new SimpleMeterRegistry()),
                MemstreamTopology.streamsProperties(config, user));
        app.start();
        System.out.println("child started");
        Thread.currentThread().join();
    }

    /** Registers the input then the output value schema: ids 1 and 2 in a fresh scope. */
    static void registerInOrder(MemstreamSerdes serdes, TopologyConfig config) {
        serdes.chunk().serializer().serialize(config.inputTopic(), TokenChunk.newBuilder().setStreamId("x").setSeq(0)
                .setText("x").setProducedAt(Instant.EPOCH).build());
        serdes.continuation().serializer().serialize(config.outputTopic(), Continuation.newBuilder().setStreamId("x")
                .setSeq(0).setModelId("x").setFinishReason(io.memstream.schema.FinishReason.NONE).setStats(ChunkStats.newBuilder().setChunkTokens(0).setBatchSize(0)
                        .setInferenceMillis(0).setChunksAbsorbed(0).setTokensAbsorbed(0).build()).build());
    }
}
