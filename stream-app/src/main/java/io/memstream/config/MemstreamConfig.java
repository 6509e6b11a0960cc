package io.memstream.config;

import io.memstream.model.DeviceChoice;
import io.memstream.model.OrtTuning;
import io.memstream.registry.AvroSerdeConfig;
import io.memstream.registry.RegistryClientConfig;
import io.memstream.registry.RegistryTrustStore;
import io.memstream.topology.TopologyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * memstream's whole configuration: the app's own keys, the processor's keys (read by
 * {@link TopologyConfig}) and every Kafka client or Streams property, which passes through untouched.
 * {@link #load} validates everything at start and reports all problems at once.
 */
public final class MemstreamConfig {
    public static final String MODEL_DIR = "model.dir";
    public static final String DEVICE = "device";
    public static final String HTTP_HOST = "http.host";
    public static final String HTTP_PORT = "http.port";
    public static final String MODEL_THREADS = "model.threads";
    public static final String MODEL_ORT_OPTIMIZATION = "model.ort.optimization";
    public static final String MODEL_ORT_SPINNING = "model.ort.spinning";
    public static final String MODEL_STEP_SHARDS = "model.step.shards";
    public static final String MODEL_DECODE_THREADS = "model.decode.threads";
    public static final String MODEL_STEP_PIECE_ROWS = "model.step.piece.rows";
    public static final String BOOTSTRAP_SERVERS = StreamsConfig.BOOTSTRAP_SERVERS_CONFIG;
    public static final String APPLICATION_ID = StreamsConfig.APPLICATION_ID_CONFIG;
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";

    public static final String DEFAULT_MODEL_DIR = "models/default";
    /** System property the launcher sets to the repository root, so relative model dirs work from anywhere. */
    public static final String HOME_PROPERTY = "memstream.home";

    /** Keys only memstream reads; they are kept out of the Kafka client configurations. */
    private static final Set<String> APP_KEYS = Set.of(MODEL_DIR, DEVICE, HTTP_HOST, HTTP_PORT, MODEL_THREADS,
            MODEL_ORT_OPTIMIZATION, MODEL_ORT_SPINNING, MODEL_STEP_SHARDS, MODEL_DECODE_THREADS, MODEL_STEP_PIECE_ROWS);

    private final Properties all;
    private final Path modelDir;
    private final DeviceChoice device;
    private final String httpHost;
    private final int httpPort;
    private final int modelThreads;
    private OrtTuning ortTuning = OrtTuning.DEFAULT;
    private final TopologyConfig topology;

    private MemstreamConfig(Properties all, Path modelDir, DeviceChoice device, String httpHost, int httpPort,
                            int modelThreads, TopologyConfig topology) {
        this.all = all;
        this.modelDir = modelDir;
        this.device = device;
        this.httpHost = httpHost;
        this.httpPort = httpPort;
        this.modelThreads = modelThreads;
        this.topology = topology;
    }

    /**
     * Producer batching for Kafka Streams' producer, by measurement: every chunk writes a state of
     * about 8 KB to the changelog, so the client's default 16 KB batches carry two records each. In
     * the end-to-end benchmarks (docs/performance-runs.md, "Run C") 256 KB batches raised the steady
     * absorb rate 1.17-1.31x. The linger stays Kafka's (5 ms): 20 ms, tried with it, doubled the
     * steady p99 latency at 346.5 chunks/s and added no throughput.
     */
    static final Map<String, String> PRODUCER_DEFAULTS = Map.of(ProducerConfig.BATCH_SIZE_CONFIG, "262144");

    /**
     * The stream thread blocks in its consumer's poll for up to Kafka Streams' {@code poll.ms}
     * (100 ms) when no new records have been fetched, also when every partition is paused because
     * its buffer is full, and no wall-clock punctuator (the one that runs partial batches) fires
     * meanwhile. So memstream polls for at most a fifth of {@code batch.max.wait.ms}: measured
     * (docs/performance-runs.md, "Run E"), the paced run's p99 fell and the published-ahead run spent
     * less of its time in poll. An idle thread wakes every few milliseconds for it, which costs
     * next to nothing.
     */
    static final int POLL_PER_BATCH_WAIT = 5;

    /** Built-in defaults, lowest precedence. */
    public static Properties defaults() {
        Properties defaults = new Properties();
        defaults.setProperty(MODEL_DIR, DEFAULT_MODEL_DIR);
        defaults.setProperty(DEVICE, "cpu");
        defaults.setProperty(HTTP_HOST, "127.0.0.1");
        defaults.setProperty(HTTP_PORT, "9464");
        defaults.setProperty(MODEL_THREADS, Integer.toString(Runtime.getRuntime().availableProcessors()));
        defaults.setProperty(BOOTSTRAP_SERVERS, "localhost:9092");
        defaults.setProperty(APPLICATION_ID, "memstream");
        defaults.setProperty(SCHEMA_REGISTRY_URL, "http://localhost:8081");
        defaults.setProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Kafka 5.0's default, set now: without it every start warns (memstream has no global stores).
        defaults.setProperty(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        return defaults;
    }

    /**
     * Merges the sources (each later one wins) over the defaults and validates the result.
     *
     * @param file      properties file, if any
     * @param env       environment variables ({@code MEMSTREAM_*} are read)
     * @param overrides {@code -D key=value} settings from the command line
     */
    public static MemstreamConfig load(Optional<Path> file, Map<String, String> env, Map<String, String> overrides) {
        return validate(merge(file, env, overrides), true);
    }

    /**
     * As {@link #load}, for commands that only produce or consume (no model is loaded, so
     * {@code model.dir} is not checked).
     */
    public static MemstreamConfig loadForClients(Optional<Path> file, Map<String, String> env,
                                                 Map<String, String> overrides) {
        return validate(merge(file, env, overrides), false);
    }

    private static Properties merge(Optional<Path> file, Map<String, String> env, Map<String, String> overrides) {
        Properties merged = defaults();
        file.map(ConfigSources::readFile).ifPresent(merged::putAll);
        merged.putAll(ConfigSources.fromEnvironment(env));
        merged.putAll(overrides);
        if (!merged.containsKey(StreamsConfig.POLL_MS_CONFIG)) {
            pollDefault(merged.getProperty(TopologyConfig.BATCH_MAX_WAIT_MS, "50"))
                    .ifPresent(ms -> merged.setProperty(StreamsConfig.POLL_MS_CONFIG, ms));
        }
        PRODUCER_DEFAULTS.forEach((key, value) -> {
            // A prefixed default would win over a plain key the user set for all of Kafka Streams'
            // clients, so it applies only where neither form is set.
            if (!merged.containsKey(key) && !merged.containsKey(StreamsConfig.producerPrefix(key))) {
                merged.setProperty(StreamsConfig.producerPrefix(key), value);
            }
        });
        return merged;
    }

    /** {@code auto} (one per model thread) or a number of step shards, 1 for never splitting. */
    private static int parseShards(String raw) {
        return parseAutoOrCount(MODEL_STEP_SHARDS, raw, OrtTuning.AUTO_SHARDS, "1 (never split)");
    }

    /** {@code auto} (a step part's threads) or a number of decode threads. */
    private static int parseDecodeThreads(String raw) {
        return parseAutoOrCount(MODEL_DECODE_THREADS, raw, OrtTuning.AUTO_DECODE_THREADS, "1");
    }

    /** Rows per step piece, or 0 for one piece per step part. */
    private static int parsePieceRows(String raw) {
        return parseCount(raw, 0, () -> MODEL_STEP_PIECE_ROWS + " must be a number of rows from 1 to 1024, or 0 "
                + "for one piece per step part, got '" + raw + "'");
    }

    private static int parseAutoOrCount(String key, String raw, int auto, String lowest) {
        return raw.trim().equalsIgnoreCase("auto") ? auto : parseCount(raw, 1,
                () -> key + " must be auto or a number from " + lowest + " to 1024, got '" + raw + "'");
    }

    /** A whole number from {@code min} to 1024, else an error with {@code message}. */
    private static int parseCount(String raw, int min, java.util.function.Supplier<String> message) {
        try {
            int n = Integer.parseInt(raw.trim());
            if (n >= min && n <= 1024) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(message.get());
    }

    /** poll.ms for a batch.max.wait.ms; empty when that is not a number (validation reports it). */
    private static Optional<String> pollDefault(String batchMaxWaitMs) {
        try {
            long wait = Long.parseLong(batchMaxWaitMs.trim());
            return Optional.of(Long.toString(Math.max(1, Math.min(100, wait / POLL_PER_BATCH_WAIT))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Validates a complete set of properties (defaults already applied). */
    public static MemstreamConfig validate(Properties props) {
        return validate(props, true);
    }

    private static MemstreamConfig validate(Properties props, boolean forProcessor) {
        List<String> problems = new ArrayList<>();
        Path modelDir = resolveModelDir(props.getProperty(MODEL_DIR, DEFAULT_MODEL_DIR));
        if (forProcessor && !hasModel(modelDir)) {
            problems.add(MODEL_DIR + "=" + props.getProperty(MODEL_DIR) + ": no model there (" + modelDir
                    + "/manifest.json is missing); export one with model-export or point " + MODEL_DIR
                    + " at a model directory");
        }
        DeviceChoice device = null;
        try {
            device = DeviceChoice.parse(props.getProperty(DEVICE, "cpu"));
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        String httpHost = props.getProperty(HTTP_HOST, "127.0.0.1").trim();
        int httpPort = -1;
        String rawPort = props.getProperty(HTTP_PORT, "9464").trim();
        try {
            httpPort = Integer.parseInt(rawPort);
            if (httpPort < 0 || httpPort > 65535) {
                problems.add(HTTP_PORT + " must be between 0 (off) and 65535, got " + httpPort);
            }
        } catch (NumberFormatException e) {
            problems.add(HTTP_PORT + " must be a port number (0 turns the HTTP server off), got '" + rawPort + "'");
        }
        int modelThreads = -1;
        String rawThreads = props.getProperty(MODEL_THREADS, "1").trim();
        try {
            modelThreads = Integer.parseInt(rawThreads);
            if (modelThreads < 1 || modelThreads > 1024) {
                problems.add(MODEL_THREADS + " must be between 1 and 1024, got " + modelThreads);
            }
        } catch (NumberFormatException e) {
            problems.add(MODEL_THREADS + " must be a number of threads, got '" + rawThreads + "'");
        }
        OrtTuning ortTuning = OrtTuning.DEFAULT;
        try {
            String rawSpin = props.getProperty(MODEL_ORT_SPINNING, Boolean.toString(OrtTuning.DEFAULT.spinning())).trim();
            if (!rawSpin.equalsIgnoreCase("true") && !rawSpin.equalsIgnoreCase("false")) {
                throw new IllegalArgumentException(MODEL_ORT_SPINNING + " must be true or false, got '" + rawSpin + "'");
            }
            String rawOpt = props.getProperty(MODEL_ORT_OPTIMIZATION);
            ortTuning = new OrtTuning(rawOpt == null || rawOpt.isBlank() ? OrtTuning.DEFAULT.optimization()
                    : parseOptimization(rawOpt), Boolean.parseBoolean(rawSpin),
                    parseShards(props.getProperty(MODEL_STEP_SHARDS, "auto")),
                    parseDecodeThreads(props.getProperty(MODEL_DECODE_THREADS, "auto")),
                    parsePieceRows(props.getProperty(MODEL_STEP_PIECE_ROWS,
                            Integer.toString(OrtTuning.DEFAULT_STEP_PIECE_ROWS))));
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        TopologyConfig topology = null;
        try {
            topology = TopologyConfig.fromProperties(props);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        problems.addAll(registryProblems(props));
        if (forProcessor) {
            try {
                // The same parsing Kafka Streams will do at start, so a bad Streams value fails here.
                new StreamsConfig(kafkaOnly(props));
            } catch (ConfigException e) {
                problems.add("Kafka Streams setting: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new MemstreamConfigException(problems);
        }
        MemstreamConfig config = new MemstreamConfig(props, modelDir, device, httpHost, httpPort, modelThreads, topology);
        config.ortTuning = ortTuning;
        return config;
    }

    /**
     * The registry serdes' settings, parsed as the serdes will parse them (URLs, auth, retries, the
     * trust store loaded), so a bad one is reported at start with the rest. Messages name keys, never
     * the secrets in them.
     */
    private static List<String> registryProblems(Properties props) {
        Map<String, Object> configs = new java.util.HashMap<>();
        kafkaOnly(props).forEach((key, value) -> configs.put((String) key, value));
        List<String> problems = new ArrayList<>();
        try {
            AvroSerdeConfig.from(configs);
        } catch (ConfigException e) {
            problems.add("schema registry serde: " + e.getMessage());
        }
        String url = props.getProperty(SCHEMA_REGISTRY_URL, "");
        if (!url.startsWith(RegistryClientConfig.MOCK_SCHEME)) {
            try {
                RegistryClientConfig.from(configs).trustStore().ifPresent(RegistryTrustStore::sslContext);
            } catch (ConfigException e) {
                problems.add("schema registry client: " + e.getMessage());
            }
        }
        return problems;
    }

    /**
     * A relative model dir is looked up in the working directory, then under the repository root the
     * launcher names, so {@code ./memstream} finds the committed models wherever it is started from.
     */
    public static Path resolveModelDir(String value) {
        Path path = Path.of(value.trim());
        if (path.isAbsolute() || Files.isDirectory(path)) {
            return path.toAbsolutePath().normalize();
        }
        String home = System.getProperty(HOME_PROPERTY);
        if (home != null && Files.isDirectory(Path.of(home).resolve(path))) {
            return Path.of(home).resolve(path).toAbsolutePath().normalize();
        }
        return path.toAbsolutePath().normalize();
    }

    /** Whether {@code dir} holds a model (its manifest). */
    public static boolean hasModel(Path dir) {
        return Files.isRegularFile(dir.resolve("manifest.json"));
    }

    /** Everything but memstream's own and the processor's keys: what Kafka clients and Streams get. */
    private static Properties kafkaOnly(Properties props) {
        Set<String> ours = new TreeSet<>(APP_KEYS);
        ours.addAll(TopologyConfig.KEYS);
        Properties kafka = new Properties();
        props.stringPropertyNames().stream().filter(key -> !ours.contains(key))
                .forEach(key -> kafka.setProperty(key, props.getProperty(key)));
        return kafka;
    }

    public Path modelDir() {
        return modelDir;
    }

    public DeviceChoice device() {
        return device;
    }

    public String httpHost() {
        return httpHost;
    }

    /** 0 means no HTTP server. */
    public int httpPort() {
        return httpPort;
    }

    /** Threads ONNX Runtime may use inside one model call. */
    public int modelThreads() {
        return modelThreads;
    }

    /** ONNX Runtime session settings ({@code model.ort.*}). */
    public OrtTuning ortTuning() {
        return ortTuning;
    }

    private static ai.onnxruntime.OrtSession.SessionOptions.OptLevel parseOptimization(String raw) {
        try {
            return OrtTuning.parseOptimization(raw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(MODEL_ORT_OPTIMIZATION + " " + e.getMessage());
        }
    }

    public TopologyConfig topology() {
        return topology;
    }

    public String bootstrapServers() {
        return all.getProperty(BOOTSTRAP_SERVERS);
    }

    public String applicationId() {
        return all.getProperty(APPLICATION_ID);
    }

    public String schemaRegistryUrl() {
        return all.getProperty(SCHEMA_REGISTRY_URL);
    }

    /** Kafka Streams properties: every passed-through key (the registry's included, Streams ignores them). */
    public Properties streamsProperties() {
        return kafkaOnly(all);
    }

    /** Settings for the registry serdes ({@code schema.registry.url}, basic auth, ...). */
    public Map<String, Object> registryConfigs() {
        Map<String, Object> configs = new java.util.HashMap<>();
        kafkaOnly(all).forEach((key, value) -> configs.put((String) key, value));
        return configs;
    }

    /** Every setting, as given (secrets included: never log this; see {@link #describe()}). */
    public Properties properties() {
        Properties copy = new Properties();
        copy.putAll(all);
        return copy;
    }

    /** The effective configuration, one {@code key=value} a line, sorted, secrets hidden: safe to log. */
    public String describe() {
        StringBuilder out = new StringBuilder();
        new TreeSet<>(all.stringPropertyNames()).forEach(key -> out.append(key).append('=')
                .append(SecretMasking.printable(key, all.getProperty(key))).append('\n'));
        return out.toString();
    }

    @Override
    public String toString() {
        return "MemstreamConfig[model.dir=" + modelDir + ", device=" + device + ", bootstrap.servers="
                + bootstrapServers() + ", application.id=" + applicationId() + ", schema.registry.url="
                + SecretMasking.printable(SCHEMA_REGISTRY_URL, schemaRegistryUrl()) + "]";
    }
}
