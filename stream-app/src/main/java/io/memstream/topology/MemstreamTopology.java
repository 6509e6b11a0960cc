package io.memstream.topology;

import io.memstream.model.ModelRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The memstream topology: input topic (bytes) → {@link RecordDecoder} → {@link MemoryProcessor} (stores {@value #MEMORY_STORE},
 * {@value #PENDING_STORE} and {@value #PENDING_CHUNKS_STORE}) → output topic; records either processor
 * rejects go to the dead-letter topic through Streams' processing-exception handler
 * ({@link MemstreamProcessingExceptionHandler}).
 */
public final class MemstreamTopology {

    /** Stream id → {@code MemoryState}; persistent RocksDB, changelogged. */
    public static final String MEMORY_STORE = "memory";
    /**
     * Stream id → {@code PendingStream}: what a record absorbed over several batches has absorbed so
     * far, while it has parts queued ({@link PendingQueue}); changelogged.
     */
    public static final String PENDING_STORE = "pending";
    /** Stream id + '/' + queue index → {@code PendingChunk}: the queued model chunks, changelogged. */
    public static final String PENDING_CHUNKS_STORE = "pending-chunks";
    static final String SOURCE = "chunks";
    static final String DECODER = "decoder";
    static final String PROCESSOR = "memory-processor";
    static final String SINK = "continuations";

    private MemstreamTopology() { }

    public static Topology build(TopologyConfig config, ModelRuntime runtime, MemstreamSerdes serdes,
                                 MeterRegistry meters) {
        TopologyMetrics metrics = new TopologyMetrics(meters);
        Topology topology = new Topology();
        // Bytes at the source, read by a processor: a bad record is then a processed one (RecordDecoder).
        topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.inputTopic());
        topology.addProcessor(DECODER, () -> new RecordDecoder(new StreamIdDeserializer(metrics),
                new InputDeserializer(serdes.chunk().deserializer(), config.recordMaxBytes(), metrics),
                config.inputTopic()), SOURCE);
        topology.addProcessor(PROCESSOR, () -> new MemoryProcessor(config, runtime, metrics), DECODER);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MEMORY_STORE),
                Serdes.String(), serdes.memoryState()).withLoggingEnabled(Map.of()), PROCESSOR);
        // In memory: queues are short-lived; their changelogs restore them after a crash.
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PENDING_STORE),
                Serdes.String(), serdes.pendingStream()).withLoggingEnabled(Map.of()), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PENDING_CHUNKS_STORE),
                Serdes.String(), serdes.pendingChunk()).withLoggingEnabled(Map.of()), PROCESSOR);
        topology.addSink(SINK, config.outputTopic(), serdes.key().serializer(),
                serdes.continuation().serializer(), PROCESSOR);
        return topology;
    }

    /**
     * Streams settings: exactly-once v2, dead letters to {@code dlq.topic} with the reason, source
     * topic, partition and offset in headers, RocksDB memory bounded ({@link BoundedRocksDbConfig});
     * then the user's properties, which win. memstream's
     * own keys ({@link TopologyConfig}) are left out.
     */
    public static Properties streamsProperties(TopologyConfig config, Properties user) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "memstream");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.dlqTopic());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, MemstreamProcessingExceptionHandler.class.getName());
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class.getName());
        for (String key : user.stringPropertyNames()) {
            if (!TopologyConfig.KEYS.contains(key)) {
                p.put(key, user.getProperty(key));
            }
        }
        return p;
    }
}
