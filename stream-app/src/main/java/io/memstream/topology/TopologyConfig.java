package io.memstream.topology;

import io.memstream.model.ModelManifest;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;

/**
 * The processor's own settings (everything that is not a Kafka client or Streams property).
 *
 * <p>{@link #fromProperties(Properties)} reads them with defaults and rejects a bad value at start
 * with a message naming the key, so a typo never surfaces as a stuck or silently wrong app.
 *
 * @param inputTopic topic of {@code TokenChunk} records, keyed by stream id
 * @param outputTopic topic the {@code Continuation} records go to
 * @param dlqTopic dead-letter topic (rejected, oversized, undecodable records)
 * @param batchMaxSize most streams absorbed in one batched model call
 * @param batchMaxWait how long a pending chunk may wait for its batch to fill (wall clock)
 * @param recordMaxBytes largest serialized input value accepted; larger ones are dead letters
 * @param gapPolicy what a seq jump does
 * @param memoryTtl idle time after which a stream's memory is evicted; zero turns eviction off
 * @param fingerprintMismatch what a stored state written by another model does
 * @param stateDtype element type of the stored memory tensors (float16 halves the store and changelog);
 *     {@code auto}, the default, the one the model's manifest names ({@link StateDtype#resolve})
 * @param batchMerge whether the stream threads of this JVM merge their concurrent batches into one
 *     model call on one shared session ({@link io.memstream.model.MergingStepper})
 * @param batchOverlap whether full batches run on a model thread of their own while the stream thread
 *     goes on polling, queueing and committing (results applied on the stream thread, in order)
 * @param memoryCacheMaxBytes per task, the bytes of stream memories kept on the heap as last written
 *     or read, so that a chunk's reads of its memory seldom reach RocksDB ({@link MemoryStates});
 *     0 reads every one from the store
 */
public record TopologyConfig(
        String inputTopic,
        String outputTopic,
        String dlqTopic,
        int batchMaxSize,
        Duration batchMaxWait,
        int recordMaxBytes,
        GapPolicy gapPolicy,
        Duration memoryTtl,
        FingerprintMismatch fingerprintMismatch,
        StateDtype stateDtype,
        boolean batchMerge,
        boolean batchOverlap,
        long memoryCacheMaxBytes) {

    public static final String INPUT_TOPIC = "input.topic";
    public static final String OUTPUT_TOPIC = "output.topic";
    public static final String DLQ_TOPIC = "dlq.topic";
    public static final String BATCH_MAX_SIZE = "batch.max.size";
    public static final String BATCH_MAX_WAIT_MS = "batch.max.wait.ms";
    public static final String RECORD_MAX_BYTES = "record.max.bytes";
    public static final String GAP_POLICY = "gap.policy";
    public static final String MEMORY_TTL_MS = "memory.ttl.ms";
    public static final String FINGERPRINT_MISMATCH = "fingerprint.mismatch";
    public static final String STATE_DTYPE = "state.dtype";
    public static final String BATCH_MERGE = "batch.merge";
    public static final String BATCH_OVERLAP = "batch.overlap";
    public static final String MEMORY_CACHE_MAX_BYTES = "memory.cache.max.bytes";
    /**
     * 4 MiB per task: 512 states of the default model (8 KB each), room for every stream queued at a
     * batch size of 32 and for the streams whose next chunk follows within a few hundred chunks.
     */
    public static final long DEFAULT_MEMORY_CACHE_MAX_BYTES = 4L << 20;
    /** Every key this class reads; they are not passed on to Kafka. */
    public static final java.util.Set<String> KEYS = java.util.Set.of(INPUT_TOPIC, OUTPUT_TOPIC, DLQ_TOPIC,
            BATCH_MAX_SIZE, BATCH_MAX_WAIT_MS, RECORD_MAX_BYTES, GAP_POLICY, MEMORY_TTL_MS, FINGERPRINT_MISMATCH,
            STATE_DTYPE, BATCH_MERGE, BATCH_OVERLAP, MEMORY_CACHE_MAX_BYTES);

    /** A seq jump (say 3 after 1): accepted and counted, or sent to the dead-letter topic. */
    public enum GapPolicy { ACCEPT, REJECT }

    /** A stored memory from another model: start the stream afresh, or stop the task. */
    public enum FingerprintMismatch { RESET, FAIL }

    /**
     * How memory tensors are stored: float32 as the model computes them, float16 (half the bytes), or
     * {@code auto}: what the model's manifest says its state tolerates ({@code state_storage}, measured
     * by model-export), float32 where it says nothing.
     */
    public enum StateDtype {
        AUTO("auto", 0), FLOAT32("float32", 4), FLOAT16("float16", 2);

        private final String label;
        private final int bytes;

        StateDtype(String label, int bytes) {
            this.label = label;
            this.bytes = bytes;
        }

        /** The {@code dtype} written into each stored {@code StateTensor}. */
        public String label() {
            return label;
        }

        public int bytesPerValue() {
            if (this == AUTO) {
                throw new IllegalStateException("state.dtype=auto has no size until resolved against a model");
            }
            return bytes;
        }

        /** The element type to store in: this one, or under {@code auto} the one {@code manifest} names. */
        public StateDtype resolve(ModelManifest manifest) {
            if (this != AUTO) {
                return this;
            }
            return ModelManifest.FLOAT16.equals(manifest.stateStorageDtype()) ? FLOAT16 : FLOAT32;
        }
    }

    public TopologyConfig {
        requireTopic(INPUT_TOPIC, inputTopic);
        requireTopic(OUTPUT_TOPIC, outputTopic);
        requireTopic(DLQ_TOPIC, dlqTopic);
        if (batchMaxSize < 1) {
            throw new IllegalArgumentException(BATCH_MAX_SIZE + " must be at least 1, got " + batchMaxSize);
        }
        if (batchMaxWait == null || batchMaxWait.toMillis() < 1) {
            throw new IllegalArgumentException(BATCH_MAX_WAIT_MS + " must be at least 1 ms, got " + batchMaxWait);
        }
        if (recordMaxBytes < 1) {
            throw new IllegalArgumentException(RECORD_MAX_BYTES + " must be positive, got " + recordMaxBytes);
        }
        if (gapPolicy == null || fingerprintMismatch == null || stateDtype == null) {
            throw new IllegalArgumentException(GAP_POLICY + ", " + FINGERPRINT_MISMATCH + " and " + STATE_DTYPE
                    + " must be set");
        }
        if (memoryCacheMaxBytes < 0) {
            throw new IllegalArgumentException(MEMORY_CACHE_MAX_BYTES + " must be 0 (off) or positive, got "
                    + memoryCacheMaxBytes);
        }
        if (memoryTtl == null || memoryTtl.isNegative()) {
            throw new IllegalArgumentException(MEMORY_TTL_MS + " must be 0 (off) or positive, got " + memoryTtl);
        }
        if (inputTopic.equals(outputTopic) || inputTopic.equals(dlqTopic)) {
            throw new IllegalArgumentException(INPUT_TOPIC + " must differ from " + OUTPUT_TOPIC + " and " + DLQ_TOPIC);
        }
    }

    /** All defaults: topics {@code memstream.chunks}, {@code memstream.continuations}, {@code memstream.dlq}. */
    public static TopologyConfig defaults() {
        return fromProperties(new Properties());
    }

    /** Reads the keys listed as constants of this class; unknown keys are ignored (they belong to Kafka). */
    public static TopologyConfig fromProperties(Properties props) {
        return new TopologyConfig(
                props.getProperty(INPUT_TOPIC, "memstream.chunks").trim(),
                props.getProperty(OUTPUT_TOPIC, "memstream.continuations").trim(),
                props.getProperty(DLQ_TOPIC, "memstream.dlq").trim(),
                (int) parseLong(props, BATCH_MAX_SIZE, 32, 1, 4096),
                Duration.ofMillis(parseLong(props, BATCH_MAX_WAIT_MS, 50, 1, 60_000)),
                (int) parseLong(props, RECORD_MAX_BYTES, 1 << 20, 1, Integer.MAX_VALUE),
                parseEnum(props, GAP_POLICY, GapPolicy.class, GapPolicy.ACCEPT),
                Duration.ofMillis(parseLong(props, MEMORY_TTL_MS, Duration.ofDays(7).toMillis(), 0, Long.MAX_VALUE)),
                parseEnum(props, FINGERPRINT_MISMATCH, FingerprintMismatch.class, FingerprintMismatch.RESET),
                parseEnum(props, STATE_DTYPE, StateDtype.class, StateDtype.AUTO),
                parseBoolean(props, BATCH_MERGE, false),
                parseBoolean(props, BATCH_OVERLAP, true),
                parseLong(props, MEMORY_CACHE_MAX_BYTES, DEFAULT_MEMORY_CACHE_MAX_BYTES, 0, Long.MAX_VALUE));
    }

    private static void requireTopic(String key, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + " must name a topic");
        }
    }

    private static boolean parseBoolean(Properties props, String key, boolean def) {
        String raw = props.getProperty(key);
        if (raw == null || raw.isBlank()) {
            return def;
        }
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false, got '" + raw + "'");
        };
    }

    private static long parseLong(Properties props, String key, long def, long min, long max) {
        String raw = props.getProperty(key);
        if (raw == null || raw.isBlank()) {
            return def;
        }
        long value;
        try {
            value = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + raw + "'");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    private static <E extends Enum<E>> E parseEnum(Properties props, String key, Class<E> type, E def) {
        String raw = props.getProperty(key);
        if (raw == null || raw.isBlank()) {
            return def;
        }
        try {
            return Enum.valueOf(type, raw.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            StringBuilder allowed = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                allowed.append(allowed.length() == 0 ? "" : "|").append(c.name().toLowerCase(Locale.ROOT));
            }
            throw new IllegalArgumentException(key + " must be one of " + allowed + ", got '" + raw + "'");
        }
    }
}
