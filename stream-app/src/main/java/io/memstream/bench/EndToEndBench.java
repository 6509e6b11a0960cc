package io.memstream.bench;

import io.memstream.app.ProcessorApp;
import io.memstream.client.ChunkProducer;
import io.memstream.client.ClientConfigs;
import io.memstream.client.ContinuationReader;
import io.memstream.client.TextChunker;
import io.memstream.client.TopicCreation;
import io.memstream.config.MemstreamConfig;
import io.memstream.demo.DemoTexts;
import io.memstream.embedded.BrokerProcess;
import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.model.ModelManifest;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import io.memstream.topology.TopologyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.StreamsConfig;

/**
 * memstream end to end: a real broker (in this JVM, or in one of its own), S streams x K chunks, the processor, and a
 * {@code read_committed} reader. Two modes: everything published ahead and then the processor
 * started (throughput: time from RUNNING until the last output is committed and read), or chunks
 * published at a fixed rate into a running processor (latency from each chunk's timestamp to its
 * committed output). The engine alone is timed at the same batch size in the same JVM, before the
 * processor starts (throughput runs) and after the broker stops, so the ratio of the two comes from
 * one run and brackets it ({@link EngineAloneComparison}).
 */
final class EndToEndBench {

    /**
     * One run's settings; {@code rate} 0 = publish everything ahead. {@code pacedWarmupSeconds}: with a
     * rate, warm-up streams sent at that rate for so long before the clock starts (reported apart).
     * {@code aheadWarmupSeconds}: without a rate, the processor absorbs warm-up streams for so long
     * before the run is published into the paused processor (0: it starts cold on the published run).
     * {@code brokerJvm}: the broker in a child JVM ({@link BrokerProcess}) instead of this one.
     */
    record Settings(int streams, int chunks, int chunkBytes, int newTokens, double rate, int partitions,
                    int streamThreads, Map<String, String> overrides, double engineSeconds,
                    double pacedWarmupSeconds, double aheadWarmupSeconds, boolean brokerJvm) { }

    /** The run's broker, and the CPU its own JVM has used (-1 when it runs in this one). */
    private record RunBroker(String bootstrapServers, LongSupplier processCpuNanos, Runnable stop)
            implements AutoCloseable {
        static RunBroker start(Path dir, boolean ownJvm) throws IOException {
            Duration ready = Duration.ofSeconds(60);
            if (ownJvm) {
                BrokerProcess b = BrokerProcess.start(dir, ready);
                return new RunBroker(b.bootstrapServers(), b::cpuNanos, b::close);
            }
            EmbeddedKafkaBroker b = EmbeddedKafkaBroker.start(dir, ready);
            return new RunBroker(b.bootstrapServers(), () -> -1, b::close);
        }

        @Override
        public void close() {
            stop.run();
        }
    }

    private final Path modelDir;
    private final int threads;
    private final Settings s;
    /** CPU of the broker's own JVM, for the snapshots (-1: the broker's threads are this JVM's). */
    private LongSupplier brokerCpu = () -> -1;

    EndToEndBench(Path modelDir, int threads, Settings settings) {
        this.modelDir = modelDir;
        this.threads = threads;
        this.s = settings;
    }

    Map<String, Object> run() throws Exception {
        Path work = Files.createTempDirectory("memstream-bench-");
        Map<String, Object> result = new LinkedHashMap<>();
        MemstreamConfig config;
        List<TokenChunk> chunks;
        EngineAloneComparison engine = new EngineAloneComparison(modelDir, threads, s.streamThreads(), s.newTokens(),
                s.engineSeconds());
        Map<Integer, EngineAloneComparison.Measured> engineBefore;
        try (RunBroker broker = RunBroker.start(work.resolve("broker"), s.brokerJvm())) {
            brokerCpu = broker.processCpuNanos();
            config = MemstreamConfig.load(Optional.empty(), Map.of(),
                    settings(broker.bootstrapServers(), work.resolve("state")));
            createTopics(config);
            chunks = chunks();
            result.put("settings", describe(config));
            // Throughput runs time the engine alone before the processor too (the broker idle), so that
            // the comparison brackets the run instead of depending on the seconds after it.
            engineBefore = s.rate() > 0 ? Map.of() : engine.before(config, chunks);
            result.putAll(s.rate() > 0 ? paced(config, chunks) : ahead(config, chunks));
        } finally {
            deleteQuietly(work);
        }
        // After the broker has stopped: the engine alone, with nothing of Kafka left running.
        result.put("engine_alone", engine.run(config, (double) result.get("mean_batch_size"), chunks, engineBefore));
        addRatios(result);
        return result;
    }

    private Map<String, String> settings(String bootstrap, Path stateDir) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MemstreamConfig.BOOTSTRAP_SERVERS, bootstrap);
        m.put(MemstreamConfig.SCHEMA_REGISTRY_URL, "mock://bench-" + UUID.randomUUID());
        m.put(MemstreamConfig.APPLICATION_ID, "memstream-bench");
        m.put(MemstreamConfig.MODEL_DIR, modelDir.toString());
        m.put(MemstreamConfig.MODEL_THREADS, Integer.toString(threads));
        m.put(MemstreamConfig.HTTP_PORT, "0");
        m.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        m.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
        m.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        m.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(s.streamThreads()));
        m.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        m.putAll(s.overrides());
        return m;
    }

    private Map<String, Object> describe(MemstreamConfig config) {
        TopologyConfig t = config.topology();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("streams", s.streams());
        d.put("chunks_per_stream", s.chunks());
        d.put("chunk_bytes", s.chunkBytes());
        d.put("max_new_tokens", s.newTokens());
        d.put("mode", s.rate() > 0 ? "paced" : "published_ahead");
        d.put("rate_chunks_per_s", s.rate());
        if (s.rate() > 0) {
            d.put("paced_warmup_s", s.pacedWarmupSeconds());
        }
        d.put("broker", s.brokerJvm() ? "own JVM (Kafka's JVM options)" : "this JVM");
        d.put("partitions", s.partitions());
        d.put("stream_threads", s.streamThreads());
        d.put("model_threads", threads);
        d.put("batch_max_size", t.batchMaxSize());
        d.put("batch_max_wait_ms", t.batchMaxWait().toMillis());
        d.put("batch_merge", t.batchMerge());
        d.put("batch_overlap", t.batchOverlap());
        // as stored: under auto (the default) the dtype the model's manifest names
        d.put("state_dtype", t.stateDtype().resolve(ModelManifest.load(config.modelDir())).label());
        d.put("state_dtype_setting", t.stateDtype().label());
        d.put("processing_guarantee", config.streamsProperties().getProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        d.put("commit_interval_ms", Long.parseLong(config.streamsProperties()
                .getProperty(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100")));
        d.put("overrides", s.overrides());
        return d;
    }

    private void createTopics(MemstreamConfig config) throws Exception {
        TopologyConfig t = config.topology();
        try (Admin admin = Admin.create(ClientConfigs.admin(config.registryConfigs()))) {
            TopicCreation.createAndAwaitLeaders(admin, List.of(new NewTopic(t.inputTopic(), s.partitions(), (short) 1),
                    new NewTopic(t.outputTopic(), s.partitions(), (short) 1),
                    new NewTopic(t.dlqTopic(), 1, (short) 1)));
        }
    }

    /** Real text, one model chunk per record, round robin across streams (seq-major). */
    private List<TokenChunk> chunks() throws IOException {
        List<DemoTexts.Document> docs = DemoTexts.load(Math.min(s.streams(), 16), s.chunks() * s.chunkBytes());
        GenerateRequest generate = s.newTokens() > 0
                ? GenerateRequest.newBuilder().setMaxNewTokens(s.newTokens()).setTemperature(0f).build() : null;
        List<List<TokenChunk>> perStream = new ArrayList<>();
        for (int i = 0; i < s.streams(); i++) {
            String text = docs.get(i % docs.size()).text();
            List<String> pieces = new ArrayList<>(TextChunker.split(text, s.chunkBytes()));
            while (pieces.size() < s.chunks()) {
                pieces.addAll(TextChunker.split(text, s.chunkBytes()));
            }
            // Streams sharing a document start at different places so no two streams are identical.
            int offset = (i / docs.size()) % Math.max(1, pieces.size() - s.chunks() + 1);
            perStream.add(ChunkProducer.document(String.format("s%05d", i), 0,
                    pieces.subList(offset, offset + s.chunks()), generate, ChunkProducer.GenerateOn.EVERY_CHUNK,
                    false));
        }
        List<TokenChunk> out = new ArrayList<>();
        for (int k = 0; k < s.chunks(); k++) {
            for (List<TokenChunk> stream : perStream) {
                out.add(stream.get(k));
            }
        }
        return out;
    }

    /**
     * Everything published, then the processor started; the clock starts when Streams is RUNNING. With
     * {@code aheadWarmupSeconds} the processor starts first, absorbs warm-up streams, is paused while the
     * run is published, and the clock starts when it resumes.
     */
    private Map<String, Object> ahead(MemstreamConfig config, List<TokenChunk> chunks) throws Exception {
        TopologyConfig t = config.topology();
        boolean warm = s.aheadWarmupSeconds() > 0;
        if (!warm) {
            publishAhead(config, chunks);
        }
        try (ContinuationReader reader = new ContinuationReader(config.registryConfigs(), t.outputTopic(), true);
             ProcessorApp app = ProcessorApp.start(config)) {
            if (!app.awaitRunning(Duration.ofSeconds(120))) {
                throw new IllegalStateException("Kafka Streams did not reach RUNNING");
            }
            Map<String, Object> warmUp = null;
            if (warm) {
                warmUp = warmUpAhead(config, reader, chunks);
                app.streams().pause();
                publishAhead(config, chunks);
                app.streams().resume();
            }
            CpuShares.Snapshot cpu = CpuShares.take(brokerCpu);
            ProcessorCounts counts = ProcessorCounts.take(app);
            long start = System.nanoTime();
            long startWall = System.currentTimeMillis();
            CommittedOutputs c = CommittedOutputs.read(reader, chunks.size(), start);
            CpuShares.Snapshot cpuEnd = CpuShares.take(brokerCpu);
            Map<String, Object> m = c.summary(start, startWall);
            if (warmUp != null) {
                m.put("ahead_warmup", warmUp);
            }
            m.put("stream_thread_times", StreamThreadTimes.of(app.streams()));
            counts.putSince(m, app, start);
            m.put("cpu", CpuShares.between(cpu, cpuEnd));
            m.put("note", "latency counts from publication, before the processor "
                    + (warm ? "resumed" : "started") + ": it is queueing time here");
            return m;
        }
    }

    private static void publishAhead(MemstreamConfig config, List<TokenChunk> chunks) throws Exception {
        try (ChunkProducer producer = new ChunkProducer(config.registryConfigs(), config.topology().inputTopic())) {
            Instant now = Instant.now();
            producer.sendAll(chunks.stream().map(c -> TokenChunk.newBuilder(c).setProducedAt(now).build()).toList());
        }
        BenchOutput.progress("published %d chunks ahead", chunks.size());
    }

    /**
     * Rounds of warm-up streams (the run's first chunks under ids of their own, a new set each round),
     * each published ahead and read back, until {@code aheadWarmupSeconds} have passed: on 2 cores the
     * JIT compilers were still busy 30 s after a cold start (docs/performance-runs.md, "Run G"), while the
     * engine alone it is compared with has warmed up before it is timed.
     */
    private Map<String, Object> warmUpAhead(MemstreamConfig config, ContinuationReader reader, List<TokenChunk> chunks)
            throws Exception {
        List<TokenChunk> round = chunks.subList(0, Math.min(chunks.size(), 8 * s.streams()));
        long start = System.nanoTime();
        int rounds = 0;
        int outputs = 0;
        CpuShares.Snapshot cpu = CpuShares.take(brokerCpu);
        try (ChunkProducer producer = new ChunkProducer(config.registryConfigs(), config.topology().inputTopic())) {
            while (System.nanoTime() - start < s.aheadWarmupSeconds() * 1e9) {
                String prefix = "bench-warm-" + rounds + "-";
                producer.sendAll(round.stream().map(c -> TokenChunk.newBuilder(c).setStreamId(prefix + c.getStreamId())
                        .setProducedAt(Instant.now()).build()).toList());
                CommittedOutputs.read(reader, round.size(), System.nanoTime());
                outputs += round.size();
                rounds++;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rounds", rounds);
        m.put("outputs", outputs);
        m.put("seconds", Timings.round((System.nanoTime() - start) / 1e9));
        m.put("cpu", CpuShares.between(cpu, CpuShares.take(brokerCpu)));
        return m;
    }

    /** A running processor fed at a fixed rate; latency is from each chunk's timestamp to its committed output. */
    private Map<String, Object> paced(MemstreamConfig config, List<TokenChunk> chunks) throws Exception {
        TopologyConfig t = config.topology();
        try (ContinuationReader reader = new ContinuationReader(config.registryConfigs(), t.outputTopic(), true);
             ProcessorApp app = ProcessorApp.start(config);
             ChunkProducer producer = new ChunkProducer(config.registryConfigs(), t.inputTopic())) {
            if (!app.awaitRunning(Duration.ofSeconds(120))) {
                throw new IllegalStateException("Kafka Streams did not reach RUNNING");
            }
            double firstOutputMillis = warmUp(reader, producer, chunks.get(0));
            Map<String, Object> warm = s.pacedWarmupSeconds() > 0 ? warmUpAtRate(reader, producer, chunks) : null;
            CpuShares.Snapshot cpu = CpuShares.take(brokerCpu);
            ProcessorCounts counts = ProcessorCounts.take(app);
            long start = System.nanoTime();
            long startWall = System.currentTimeMillis();
            Thread sender = sendPaced(producer, chunks, start);
            CommittedOutputs c = CommittedOutputs.read(reader, chunks.size(), start);
            sender.join();
            CpuShares.Snapshot cpuEnd = CpuShares.take(brokerCpu);
            Map<String, Object> m = c.summary(start, startWall);
            m.put("cpu", CpuShares.between(cpu, cpuEnd));
            m.put("first_output_latency_ms", Timings.round(firstOutputMillis));
            if (warm != null) {
                m.put("paced_warmup", warm);
            }
            m.put("stream_thread_times", StreamThreadTimes.of(app.streams()));
            counts.putSince(m, app, start);
            return m;
        }
    }

    /** A thread sending {@code chunks} at the configured rate from {@code start} (System.nanoTime). */
    private Thread sendPaced(ChunkProducer producer, List<TokenChunk> chunks, long start) {
        Thread sender = new Thread(() -> {
            long intervalNanos = (long) (1e9 / s.rate());
            for (int i = 0; i < chunks.size(); i++) {
                long wait = start + i * intervalNanos - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                producer.send(TokenChunk.newBuilder(chunks.get(i)).setProducedAt(Instant.now()).build());
            }
        }, "bench-producer");
        sender.start();
        return sender;
    }

    /**
     * Streams of their own (the run's first chunks under other ids) sent at the run's rate for
     * {@code pacedWarmupSeconds} before the clock starts, as a benchmark harness warms up before it
     * measures: the first seconds after a start pay for JIT compilation of the whole path and for the
     * first batches of each size (measured: seconds 0-1 of a paced run at p99 421-432 ms with model calls
     * at 2-3x their later time, docs/performance-runs.md, "Run D"). Their latencies are reported apart.
     */
    private Map<String, Object> warmUpAtRate(ContinuationReader reader, ChunkProducer producer, List<TokenChunk> chunks)
            throws InterruptedException {
        int n = (int) Math.min(chunks.size(), Math.max(1, Math.round(s.rate() * s.pacedWarmupSeconds())));
        List<TokenChunk> warm = chunks.subList(0, n).stream()
                .map(c -> TokenChunk.newBuilder(c).setStreamId("bench-warm-" + c.getStreamId()).build()).toList();
        long start = System.nanoTime();
        Thread sender = sendPaced(producer, warm, start);
        CommittedOutputs c = CommittedOutputs.read(reader, n, start);
        sender.join();
        Timings t = Timings.of(c.latencyMillis());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("outputs", n);
        m.put("seconds", Timings.round((System.nanoTime() - start) / 1e9));
        m.put("latency_p50_ms", Timings.round(t.quantile(0.5)));
        m.put("latency_p99_ms", Timings.round(t.quantile(0.99)));
        m.put("latency_max_ms", Timings.round(t.quantile(1.0)));
        return m;
    }

    /**
     * One chunk of a stream of its own through the whole path before the clock starts; returns its
     * latency. The first record after a start pays once for what later ones find ready (class loading,
     * first serde and registry lookups, the first transaction's partitions, the clients' first
     * metadata): measured at 0.5-0.7 s, a stall that left a backlog of up to three seconds in the
     * whole-run p99 of paced runs. It is reported, not hidden, as {@code first_output_latency_ms}.
     */
    private static double warmUp(ContinuationReader reader, ChunkProducer producer, TokenChunk template) {
        producer.send(TokenChunk.newBuilder(template).setStreamId("bench-warm-up").setSeq(0)
                .setProducedAt(Instant.now()).build());
        producer.flush();
        return CommittedOutputs.read(reader, 1, System.nanoTime()).latencyMillis()[0];
    }

    /**
     * End-to-end absorb rate over the engine's at the configured batch size (the run's own chunks), and at the
     * batch size the processor actually formed; with generation, against the engine doing step and
     * generation at that batch size.
     */
    @SuppressWarnings("unchecked")
    private void addRatios(Map<String, Object> result) {
        Map<String, Object> engine = (Map<String, Object>) result.get("engine_alone");
        Map<String, Object> settings = (Map<String, Object>) result.get("settings");
        double e2e = (double) result.get("absorbed_tokens_per_s");
        double e2eCores = (double) ((Map<String, Object>) result.get("cpu")).get(CpuShares.MODEL_CORES);
        Map<String, Object> ratios = new LinkedHashMap<>();
        for (var e : engine.entrySet()) {
            Map<String, Object> row = (Map<String, Object>) e.getValue();
            String key = s.newTokens() > 0 ? "absorbed_tokens_per_s_with_generation" : "absorbed_tokens_per_s";
            if (!(row.get(key) instanceof Double engineRate)) {
                continue;  // generation with several stream threads has no engine-alone figure
            }
            ratios.put("e2e_over_engine_" + e.getKey(), Timings.round(e2e / engineRate));
            if (result.get("steady_absorbed_tokens_per_s") instanceof Double steady) {
                ratios.put("steady_e2e_over_engine_" + e.getKey(), Timings.round(steady / engineRate));
            }
            if (row.get("model_cores") instanceof Double engineCores) {
                CoreShare.of(e2e, e2eCores, engineRate, engineCores).putInto(ratios, e.getKey());
            }
        }
        ratios.put("configured_batch", settings.get("batch_max_size"));
        result.put("ratios", ratios);
    }

    /**
     * The ratio to the engine alone taken apart: the model's cores end to end over the engine alone's
     * (what Kafka and the processor left it of the machine), times the tokens each model core absorbed
     * end to end over the engine alone's (how well it used them). Their product is the ratio.
     */
    record CoreShare(double cores, double tokensPerCore) {
        static CoreShare of(double e2eRate, double e2eCores, double engineRate, double engineCores) {
            if (e2eCores <= 0 || engineCores <= 0) {
                return new CoreShare(Double.NaN, Double.NaN);
            }
            return new CoreShare(e2eCores / engineCores, (e2eRate / e2eCores) / (engineRate / engineCores));
        }

        void putInto(Map<String, Object> ratios, String batch) {
            if (!Double.isNaN(cores)) {
                ratios.put("model_cores_e2e_over_engine_" + batch, Timings.round(cores));
                ratios.put("tokens_per_model_core_e2e_over_engine_" + batch, Timings.round(tokensPerCore));
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory; the OS cleans it eventually
        }
    }

    /**
     * What the processor has counted since it started, read at the clock's start and diffed at its
     * end: the stream threads' polls, commits and records (Streams' cumulative counts) and the time
     * the model's step parts waited for work.
     */
    private record ProcessorCounts(StreamThreadTimes.Counts streamThreads, long partsWaitingNanos) {
        static ProcessorCounts take(ProcessorApp app) {
            return new ProcessorCounts(StreamThreadTimes.counts(app.streams()), app.runtime().stepPartsWaitingNanos());
        }

        /** Puts each count's growth since this reading into {@code m}, per second of the clock from {@code start}. */
        void putSince(Map<String, Object> m, ProcessorApp app, long start) {
            ProcessorCounts now = take(app);
            double seconds = (System.nanoTime() - start) / 1e9;
            m.put("stream_thread_counts", now.streamThreads.since(streamThreads, seconds));
            m.put("step_parts_waiting_s", Timings.round((now.partsWaitingNanos - partsWaitingNanos) / 1e9));
        }
    }
}
