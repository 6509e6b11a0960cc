package io.memstream.cli;

import io.memstream.app.ProcessorApp;
import io.memstream.client.ChunkProducer;
import io.memstream.client.ClientConfigs;
import io.memstream.client.ContinuationReader;
import io.memstream.client.TextChunker;
import io.memstream.client.TopicCreation;
import io.memstream.config.MemstreamConfig;
import io.memstream.demo.ContinuationFormatter;
import io.memstream.demo.DemoSummary;
import io.memstream.demo.DemoTexts;
import io.memstream.demo.RegistryHttpFacade;
import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.embedded.FreePort;
import io.memstream.registry.MockSchemaRegistry;
import io.memstream.schema.Continuation;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import io.memstream.topology.TopologyConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The whole pipeline on one machine with nothing to install: a real Kafka broker and an in-process
 * schema registry inside this JVM, the processor on the committed model, a few document streams of
 * real text in, and their continuations read back {@code read_committed}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run memstream end to end in this JVM (Kafka broker, registry, processor, producer, "
                + "consumer) on a few streams of real text, print the continuations and a summary, and shut down "
                + "(or, with --keep-running, stay up for publish, follow and inspect from another terminal).")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--streams", defaultValue = "3", description = "Document streams (default: ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--chunks", defaultValue = "4", description = "Chunks per stream (default: ${DEFAULT-VALUE}).")
    int chunks;

    @Option(names = "--chunk-bytes", defaultValue = "160", description = "Text bytes per chunk (default: ${DEFAULT-VALUE}).")
    int chunkBytes;

    @Option(names = "--max-new-tokens", defaultValue = "48",
            description = "Tokens to generate after each chunk (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory (default: models/default if present, else models/tiny).")
    String model;

    @Option(names = "--http-port", defaultValue = "0",
            description = "Serve /metrics and /health on 127.0.0.1 at this port while the demo runs (0: off).")
    int httpPort;

    @Option(names = "--timeout-s", defaultValue = "180",
            description = "Give up waiting for continuations after this long (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--verbose", description = "Show the logs of memstream, Kafka and the broker.")
    boolean verbose;

    @Option(names = "--keep-running",
            description = "After the sample, keep the broker, registry and processor up for publish, follow and "
                    + "inspect from another terminal (their addresses are printed) until Ctrl-C.")
    boolean keepRunning;

    @Option(names = "-D", paramLabel = "KEY=VALUE", description = "Set one configuration key (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        if (!verbose) {
            LogLevels.set("io.memstream", "WARN");
            LogLevels.set("org.apache.kafka", "ERROR");
            // The embedded broker's own logs: it reports clients' retried requests (for example a
            // transaction's first batch racing its partition registration) as errors.
            LogLevels.set("kafka", "OFF");
            LogLevels.set("ai.djl", "ERROR");
        }
        if (keepRunning && httpPort == 0) {
            httpPort = FreePort.pick(); // inspect needs an instance to ask
        }
        Path work = Files.createTempDirectory("memstream-demo-");
        String registryScope = "demo-" + UUID.randomUUID();
        try {
            return runIn(work, registryScope);
        } finally {
            MockSchemaRegistry.dropScope(registryScope);
            deleteRecursively(work);
        }
    }

    private int runIn(Path work, String registryScope) throws Exception {
        long start = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(work.resolve("broker"), Duration.ofSeconds(60))) {
            say("Kafka broker (KRaft, in this JVM) ready at %s in %.1f s", broker.bootstrapServers(), seconds(start));
            MemstreamConfig config = MemstreamConfig.load(Optional.empty(), Map.of(),
                    settings(broker.bootstrapServers(), "mock://" + registryScope, work.resolve("state")));
            TopologyConfig topics = config.topology();
            createTopics(config, topics);
            say("schema registry: in-process (mock://%s)", registryScope);
            say("model: %s", config.modelDir());

            long processorStart = System.nanoTime();
            try (ProcessorApp app = ProcessorApp.start(config)) {
                if (!app.awaitRunning(Duration.ofSeconds(90))) {
                    out.println("the processor did not reach RUNNING within 90 s");
                    return 1;
                }
                say("processor RUNNING in %.1f s (exactly_once_v2, state in %s)%s", seconds(processorStart),
                        work.resolve("state"), app.httpPort() > 0
                                ? ", metrics at http://127.0.0.1:" + app.httpPort() + "/metrics" : "");
                List<TokenChunk> input = documents();
                try (ContinuationReader reader = new ContinuationReader(config.registryConfigs(),
                        topics.outputTopic(), true);
                     ChunkProducer producer = new ChunkProducer(config.registryConfigs(), topics.inputTopic())) {
                    long sendStart = System.nanoTime();
                    Map<String, Long> sentAt = new HashMap<>();
                    List<Future<RecordMetadata>> acks = new ArrayList<>();
                    for (TokenChunk chunk : input) {
                        sentAt.put(chunk.getStreamId() + "/" + chunk.getSeq(), System.nanoTime());
                        acks.add(producer.send(chunk));
                    }
                    producer.flush();
                    for (Future<RecordMetadata> ack : acks) {
                        ack.get(); // a refused chunk fails the demo here, not as a timeout later
                    }
                    say("sent %d chunks of %d streams to %s; continuations from %s (read_committed):%n",
                            input.size(), streams, topics.inputTopic(), topics.outputTopic());
                    Map<String, String> texts = new HashMap<>();
                    input.forEach(chunk -> texts.put(chunk.getStreamId() + "/" + chunk.getSeq(), chunk.getText()));
                    DemoSummary figures = new DemoSummary();
                    List<Continuation> received = collect(reader, input.size(), texts, sentAt, figures);
                    summarize(received, input.size(), figures, seconds(sendStart));
                    if (received.size() < input.size()) {
                        return 1;
                    }
                }
                if (keepRunning) {
                    keepRunning(config, topics, registryScope, app.httpPort());
                }
                out.println();
                say("shutting down (processor, then broker) ...");
            }
        }
        say("done in %.1f s", seconds(start));
        return 0;
    }

    /** The demo's settings: its own broker, registry, state dir and model; -D may still change any of them. */
    private Map<String, String> settings(String bootstrap, String registryUrl, Path stateDir) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(MemstreamConfig.BOOTSTRAP_SERVERS, bootstrap);
        settings.put(MemstreamConfig.SCHEMA_REGISTRY_URL, registryUrl);
        settings.put(MemstreamConfig.APPLICATION_ID, "memstream-demo");
        settings.put(MemstreamConfig.MODEL_DIR, chooseModel());
        settings.put(MemstreamConfig.HTTP_HOST, "127.0.0.1");
        settings.put(MemstreamConfig.HTTP_PORT, Integer.toString(httpPort));
        settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        settings.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
        settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        settings.put(TopologyConfig.BATCH_MAX_WAIT_MS, "20");
        settings.putAll(overrides);
        return settings;
    }

    /** The trained model when it is there; the small test model of the repository otherwise. */
    private String chooseModel() {
        if (model != null) {
            return model;
        }
        Path preferred = MemstreamConfig.resolveModelDir(MemstreamConfig.DEFAULT_MODEL_DIR);
        return MemstreamConfig.hasModel(preferred) ? MemstreamConfig.DEFAULT_MODEL_DIR : "models/tiny";
    }

    private static void createTopics(MemstreamConfig config, TopologyConfig topics) throws Exception {
        try (Admin admin = Admin.create(ClientConfigs.admin(config.registryConfigs()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(topics.inputTopic(), 2, (short) 1),
                    new NewTopic(topics.outputTopic(), 2, (short) 1),
                    new NewTopic(topics.dlqTopic(), 1, (short) 1)));
        }
    }

    /** Each stream's first chunks, interleaved across streams so the processor can batch them. */
    private List<TokenChunk> documents() throws IOException {
        List<DemoTexts.Document> texts = DemoTexts.load(streams, chunks * chunkBytes);
        GenerateRequest generate = GenerateRequest.newBuilder().setMaxNewTokens(maxNewTokens)
                .setTemperature(temperature).build();
        List<List<TokenChunk>> perStream = new ArrayList<>();
        for (int s = 0; s < texts.size(); s++) {
            List<String> pieces = TextChunker.split(texts.get(s).text(), chunkBytes);
            pieces = pieces.subList(0, Math.min(chunks, pieces.size()));
            String streamId = "doc-" + s;
            say("  %s: %s, %d chunks", streamId, texts.get(s).title(), pieces.size());
            perStream.add(ChunkProducer.document(streamId, 0, pieces, generate,
                    ChunkProducer.GenerateOn.EVERY_CHUNK, false));
        }
        List<TokenChunk> interleaved = new ArrayList<>();
        for (int seq = 0; seq < chunks; seq++) {
            for (List<TokenChunk> stream : perStream) {
                if (seq < stream.size()) {
                    interleaved.add(stream.get(seq));
                }
            }
        }
        return interleaved;
    }

    private List<Continuation> collect(ContinuationReader reader, int expected, Map<String, String> texts,
                                       Map<String, Long> sentAt, DemoSummary figures) {
        List<Continuation> received = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        while (received.size() < expected && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, Continuation> record : reader.poll(Duration.ofMillis(200))) {
                long now = System.nanoTime();
                Continuation c = record.value();
                received.add(c);
                Long sent = sentAt.get(c.getStreamId() + "/" + c.getSeq());
                figures.add(c, sent == null ? Double.NaN : (now - sent) / 1e6);
                out.println("  " + ContinuationFormatter.format(c, texts.get(c.getStreamId() + "/" + c.getSeq())));
                out.flush();
            }
        }
        return received;
    }

    /**
     * The closing summary: chunks, tokens per second, latency percentiles, and how surprise falls as
     * memory builds up (mean bits/byte per seq across the streams).
     */
    private void summarize(List<Continuation> received, int expected, DemoSummary figures, double seconds) {
        out.println();
        say("%d of %d continuations in %.1f s", received.size(), expected, seconds);
        figures.lines(seconds).forEach(line -> say("%s", line));
        Map<Long, double[]> bySeq = new TreeMap<>();
        for (Continuation c : received) {
            if (c.getBitsPerByte() != null) {
                double[] sum = bySeq.computeIfAbsent(c.getSeq(), k -> new double[2]);
                sum[0] += c.getBitsPerByte();
                sum[1]++;
            }
        }
        StringBuilder line = new StringBuilder("mean bits/byte by seq:");
        bySeq.forEach((seq, sum) -> line.append(String.format(Locale.ROOT, "  %d: %.3f", seq, sum[0] / sum[1])));
        say("%s", line);
        if (received.size() < expected) {
            say("MISSING %d continuations after %d s", expected - received.size(), timeoutSeconds);
        }
    }

    /**
     * Keeps everything up for other terminals: the in-process registry is also served over loopback
     * HTTP so that separate processes share its schema ids. Returns at Ctrl-C or SIGTERM; the caller
     * then shuts down and deletes the temporary directory as usual.
     */
    private void keepRunning(MemstreamConfig config, TopologyConfig topics, String registryScope, int appHttpPort)
            throws IOException, InterruptedException {
        try (RegistryHttpFacade registry = RegistryHttpFacade.start(MockSchemaRegistry.forScope(registryScope))) {
            String connect = "-D bootstrap.servers=" + config.bootstrapServers() + " -D schema.registry.url=" + registry.url();
            out.println();
            say("memstream keeps running (Ctrl-C stops it and deletes everything):");
            say("  bootstrap.servers   %s", config.bootstrapServers());
            say("  schema.registry.url %s", registry.url());
            say("  topics              %s -> %s (dead letters: %s)", topics.inputTopic(), topics.outputTopic(),
                    topics.dlqTopic());
            say("  HTTP                http://127.0.0.1:%d/metrics, /health, /streams/ID", appHttpPort);
            say("from another terminal:");
            say("  ./memstream follow --from-beginning %s", connect);
            say("  ./memstream publish FILE %s", connect);
            say("  ./memstream inspect doc-0 --url http://127.0.0.1:%d", appHttpPort);
            CountDownLatch stop = new CountDownLatch(1);
            if (!StopSignals.onStop(stop::countDown)) {
                say("(stop signals cannot be caught here: the demo's temporary files may stay behind)");
            }
            stop.await();
            out.println();
        }
    }

    private void say(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
        out.flush();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
