package io.memstream.client;

import io.memstream.registry.RegistryAvroSerde;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes document streams to memstream's input topic: one {@code TokenChunk} per piece of text,
 * keyed by stream id, {@code seq} counting from 0, through the registry serde. Idempotent, so a
 * retried send never duplicates a chunk.
 */
public final class ChunkProducer implements AutoCloseable {
    private final KafkaProducer<String, TokenChunk> producer;
    private final String topic;

    /** @param configs Kafka producer and schema registry settings ({@code bootstrap.servers}, {@code schema.registry.url}, ...) */
    public ChunkProducer(Map<String, Object> configs, String topic) {
        Map<String, Object> producerConfigs = new HashMap<>(configs);
        producerConfigs.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfigs.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfigs.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.producer = new KafkaProducer<>(ClientConfigs.producer(producerConfigs), new StringSerializer(),
                new RegistryAvroSerde<>(TokenChunk.class, configs, false).serializer());
        this.topic = topic;
    }

    /**
     * The chunks of one document: its pieces in order, the last one marked {@code endOfStream} when
     * asked, and a generate request on the chunks {@code generateOn} selects.
     */
    public static List<TokenChunk> document(String streamId, long firstSeq, List<String> pieces,
                                            GenerateRequest generate, ChunkSelector generateOn, boolean endOfStream) {
        List<TokenChunk> chunks = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) {
            boolean last = i == pieces.size() - 1;
            boolean wantsGeneration = generate != null && generateOn.selects(i, last);
            chunks.add(TokenChunk.newBuilder()
                    .setStreamId(streamId)
                    .setSeq(firstSeq + i)
                    .setText(pieces.get(i))
                    .setGenerate(wantsGeneration ? GenerateRequest.newBuilder(generate).build() : null)
                    .setEndOfStream(endOfStream && last)
                    .setProducedAt(Instant.now())
                    .build());
        }
        return chunks;
    }

    /** Picks chunks of a document by position (index from 0; whether it is the last one). */
    @FunctionalInterface
    public interface ChunkSelector {
        boolean selects(int index, boolean last);

        /** Every {@code n}th chunk (the n-th, 2n-th, ...; none for n = 0), and the last one if {@code last}. */
        static ChunkSelector every(int n, boolean last) {
            if (n < 0) {
                throw new IllegalArgumentException("a chunk interval must be 0 (none) or more, got " + n);
            }
            return (index, isLast) -> (n > 0 && (index + 1) % n == 0) || (last && isLast);
        }
    }

    /** Which chunks of a document carry the generate request. */
    public enum GenerateOn implements ChunkSelector {
        NONE, LAST_CHUNK, EVERY_CHUNK;

        @Override
        public boolean selects(int index, boolean last) {
            return this == EVERY_CHUNK || (this == LAST_CHUNK && last);
        }
    }

    public Future<RecordMetadata> send(TokenChunk chunk) {
        return producer.send(new ProducerRecord<>(topic, chunk.getStreamId(), chunk));
    }

    /** Sends one chunk; {@code acknowledged} runs on the producer's thread when the broker answers. */
    public Future<RecordMetadata> send(TokenChunk chunk, Callback acknowledged) {
        return producer.send(new ProducerRecord<>(topic, chunk.getStreamId(), chunk), acknowledged);
    }

    public void flush() {
        producer.flush();
    }

    /** Sends all chunks and waits until the broker has acknowledged every one. */
    public void sendAll(List<TokenChunk> chunks) throws ExecutionException, InterruptedException {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (TokenChunk chunk : chunks) {
            acks.add(send(chunk));
        }
        producer.flush();
        for (Future<RecordMetadata> ack : acks) {
            ack.get();
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
