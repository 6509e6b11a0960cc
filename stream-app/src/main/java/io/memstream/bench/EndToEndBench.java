package io.memstream.bench;

import io.memstream.app.ProcessorApp;
import io.memstream.client.ChunkProducer;
import io.memstream.client.ClientConfigs;
import io.memstream.client.ContinuationReader;
import io.memstream.client.TextChunker;
import io.memstream.client.TopicCreation;
import io.memstream.config.MemstreamConfig;
import io.memstream.demo.DemoTexts;
import io.memstream.embedded.EmbeddedKafkaBroker;
import io.memstream.model.DeviceChoice;
import io.memstream.model.ModelRuntime;
import io.memstream.model.ModelSession;
import io.memstream.schema.Continuation;
import io.memstream.schema.GenerateRequest;
import io.memstream.schema.TokenChunk;
import io.memstream.topology.TopologyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.StreamsConfig;

/**
 * memstream end to end: a real broker in this JVM, S streams x K chunks, the processor, and a
 * {@code read_committed} reader. Two modes: everything published ahead and then the processor
 * started (throughput: time from RUNNING until the last output is committed and read), or chunks
 * published at a fixed rate into a running processor (latency from each chunk's timestamp to its
 * committed output). Afterwards the engine alone is timed at the same batch size in the same JVM,
 * so the ratio of the two comes from one run on one machine state.
 */
final class EndToEndBench {

    /**
     * One run's settings; {@code rate} 0 = publish everything ahead. {@code pacedWarmupSeconds}: with a
     * rate, warm-up streams sent at that rate for so long before the clock starts (reported apart).
     */
    record Settings(int streams, int chunks, int chunkBytes, int newTokens, double rate, int partitions,
                    int streamThreads, Map<String, String> overrides, double engineSeconds,
                    double pacedWarmupSeconds) { }

    private final Path modelDir;
    private final int threads;
    private final Settings s;

    EndToEndBench(Path modelDir, int threads, Settings settings) {
        this.modelDir = modelDir;
        this.threads = threads;
        this.s = settings;
    }

    Map<String, Object> run() throws Exception {
        Path work = Files.createTempDirectory("memstream-bench-");
        Map<String, Object> result = new LinkedHashMap<>();
        MemstreamConfig config;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(work.resolve("broker"), Duration.ofSeconds(60))) {
            config = MemstreamConfig.load(Optional.empty(), Map.of(),
                    settings(broker.bootstrapServers(), work.resolve("state")));
            createTopics(config);
            List<TokenChunk> chunks = chunks();
            result.put("settings", describe(config));
            result.putAll(s.rate() > 0 ? paced(config, chunks) : ahead(config, chunks));
        } finally {
            deleteQuietly(work);
        }
        // After the broker has stopped: the engine alone, with nothing of Kafka left running.
        result.put("engine_alone", engineAlone(config, (double) result.get("mean_batch_size")));
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
        d.put("partitions", s.partitions());
        d.put("stream_threads", s.streamThreads());
        d.put("model_threads", threads);
        d.put("batch_max_size", t.batchMaxSize());
        d.put("batch_max_wait_ms", t.batchMaxWait().toMillis());
        d.put("batch_merge", t.batchMerge());
        d.put("state_dtype", t.stateDtype().label());
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

    /** Everything published, then the processor started; the clock starts when Streams is RUNNING. */
    private Map<String, Object> ahead(MemstreamConfig config, List<TokenChunk> chunks) throws Exception {
        TopologyConfig t = config.topology();
        try (ChunkProducer producer = new ChunkProducer(config.registryConfigs(), t.inputTopic())) {
            Instant now = Instant.now();
            List<TokenChunk> stamped = chunks.stream().map(c -> TokenChunk.newBuilder(c).setProducedAt(now).build()).toList();
            producer.sendAll(stamped);
        }
        BenchOutput.progress("published %d chunks ahead", chunks.size());
        try (ContinuationReader reader = new ContinuationReader(config.registryConfigs(), t.outputTopic(), true);
             ProcessorApp app = ProcessorApp.start(config)) {
            if (!app.awaitRunning(Duration.ofSeconds(120))) {
                throw new IllegalStateException("Kafka Streams did not reach RUNNING");
            }
            long start = System.nanoTime();
            long startWall = System.currentTimeMillis();
            Collected c = collect(reader, chunks.size(), start);
            Map<String, Object> m = c.summary(start, startWall);
            m.put("stream_thread_times", StreamThreadTimes.of(app.streams()));
            m.put("note", "latency counts from publication, before the processor started: it is queueing time here");
            return m;
        }
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
            long start = System.nanoTime();
            long startWall = System.currentTimeMillis();
            Thread sender = sendPaced(producer, chunks, start);
            Collected c = collect(reader, chunks.size(), start);
            sender.join();
            Map<String, Object> m = c.summary(start, startWall);
            m.put("first_output_latency_ms", Timings.round(firstOutputMillis));
            if (warm != null) {
                m.put("paced_warmup", warm);
            }
            m.put("stream_thread_times", StreamThreadTimes.of(app.streams()));
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
     * at 2-3x their later time, docs/PERFORMANCE.md, "Run D"). Their latencies are reported apart.
     */
    private Map<String, Object> warmUpAtRate(ContinuationReader reader, ChunkProducer producer, List<TokenChunk> chunks)
            throws InterruptedException {
        int n = (int) Math.min(chunks.size(), Math.max(1, Math.round(s.rate() * s.pacedWarmupSeconds())));
        List<TokenChunk> warm = chunks.subList(0, n).stream()
                .map(c -> TokenChunk.newBuilder(c).setStreamId("bench-warm-" + c.getStreamId()).build()).toList();
        long start = System.nanoTime();
        Thread sender = sendPaced(producer, warm, start);
        Collected c = collect(reader, n, start);
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
        return collect(reader, 1, System.nanoTime()).latencyMillis()[0];
    }

    /** What the reader saw: arrival time (ns since start), latency (ms) and the continuation. */
    private record Collected(long[] arrivalNanos, double[] latencyMillis, List<Continuation> outputs) {

        Map<String, Object> summary(long start, long startWall) {
            int n = outputs.size();
            double seconds = (Arrays.stream(arrivalNanos).max().orElse(start) - start) / 1e9;
            long absorbed = outputs.stream().mapToLong(c -> c.getStats().getChunkTokens()).sum();
            long generated = outputs.stream().mapToLong(c -> c.getTokens().size()).sum();
            double meanBatch = outputs.stream().mapToInt(c -> c.getStats().getBatchSize()).average().orElse(0);
            Timings latency = Timings.of(latencyMillis);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("outputs", n);
            m.put("seconds", Timings.round(seconds));
            m.put("chunks_per_s", Timings.round(n / seconds));
            m.put("tokens_absorbed", absorbed);
            m.put("absorbed_tokens_per_s", Timings.round(absorbed / seconds));
            m.put("tokens_generated", generated);
            m.put("generated_tokens_per_s", Timings.round(generated / seconds));
            m.put("mean_batch_size", Timings.round(meanBatch));
            m.putAll(steady(absorbed / (double) Math.max(1, n)));
            m.put("latency_p50_ms", Timings.round(latency.quantile(0.5)));
            m.put("latency_p99_ms", Timings.round(latency.quantile(0.99)));
            m.put("latency_max_ms", Timings.round(latency.quantile(1.0)));
            m.put("latency_by_second", latencyBySecond(start));
            m.put("model_ms_per_output_median", Timings.round(Timings.of(outputs.stream()
                    .mapToDouble(c -> c.getStats().getInferenceMillis()).toArray()).median()));
            // Each batch's model time is in every one of its outputs: split it across them to count it once.
            double modelSeconds = outputs.stream()
                    .mapToDouble(c -> c.getStats().getInferenceMillis() / Math.max(1, c.getStats().getBatchSize())).sum() / 1e3;
            m.put("model_seconds", Timings.round(modelSeconds));
            m.put("model_share_of_wall_time", Timings.round(modelSeconds / seconds));
            return m;
        }

        /**
         * Outputs and their latency p50 / p99 / max, by the second of the run in which they arrived:
         * where in the run the whole-run p99 comes from (the start, a stall, the tail), which the
         * whole-run and steady figures alone do not say.
         */
        private List<Map<String, Object>> latencyBySecond(long start) {
            Map<Integer, List<Integer>> bySecond = new TreeMap<>();
            for (int i = 0; i < arrivalNanos.length; i++) {
                int second = (int) ((arrivalNanos[i] - start) / 1_000_000_000L);
                bySecond.computeIfAbsent(second, x -> new ArrayList<>()).add(i);
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Map.Entry<Integer, List<Integer>> e : bySecond.entrySet()) {
                List<Integer> at = e.getValue();
                Timings t = Timings.of(at.stream().mapToDouble(i -> latencyMillis[i]).toArray());
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("second", e.getKey());
                row.put("outputs", at.size());
                row.put("p50_ms", Timings.round(t.quantile(0.5)));
                row.put("p99_ms", Timings.round(t.quantile(0.99)));
                row.put("max_ms", Timings.round(t.quantile(1.0)));
                // The model's share of the latency: a slow start in the model (first calls) shows here,
                // one elsewhere (fetches, commits, the reader) does not.
                row.put("model_ms_p50", Timings.round(Timings.of(at.stream()
                        .mapToDouble(i -> outputs.get(i).getStats().getInferenceMillis()).toArray()).median()));
                row.put("mean_batch_size", Timings.round(at.stream()
                        .mapToInt(i -> outputs.get(i).getStats().getBatchSize()).average().orElse(0)));
                rows.add(row);
            }
            return rows;
        }

        /**
         * Throughput and latency between the arrival of the 10th and the 90th percentile output: the
         * middle of the run, without the start (first fetches, JIT compilation, ONNX Runtime's first
         * call at each batch shape) and the tail (the last, partly filled batches). The engine-alone
         * figures it is compared with also leave out their warm-up.
         */
        private Map<String, Object> steady(double tokensPerOutput) {
            long[] sorted = arrivalNanos.clone();
            Arrays.sort(sorted);
            Map<String, Object> m = new LinkedHashMap<>();
            int lo = sorted.length / 10;
            int hi = sorted.length * 9 / 10;
            double seconds = (sorted[Math.max(lo, hi - 1)] - sorted[lo]) / 1e9;
            if (hi - lo < 2 || seconds <= 0) {
                return m;
            }
            int intervals = hi - 1 - lo;   // outputs that arrived after the first one timed
            m.put("steady_outputs", hi - lo);
            m.put("steady_seconds", Timings.round(seconds));
            m.put("steady_chunks_per_s", Timings.round(intervals / seconds));
            m.put("steady_absorbed_tokens_per_s", Timings.round(intervals * tokensPerOutput / seconds));
            // latency of the same middle outputs (arrays are in arrival order): no start-up queueing
            Timings latency = Timings.of(Arrays.copyOfRange(latencyMillis, lo, hi));
            m.put("steady_latency_p50_ms", Timings.round(latency.quantile(0.5)));
            m.put("steady_latency_p99_ms", Timings.round(latency.quantile(0.99)));
            return m;
        }
    }

    private static Collected collect(ContinuationReader reader, int expected, long start) {
        long[] arrivals = new long[expected];
        double[] latencies = new double[expected];
        List<Continuation> outputs = new ArrayList<>(expected);
        long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
        int lastReport = 0;
        while (outputs.size() < expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + outputs.size() + " of " + expected + " outputs after 20 minutes");
            }
            for (ConsumerRecord<String, Continuation> r : reader.poll(Duration.ofMillis(50))) {
                if (outputs.size() == expected) {
                    break;
                }
                long now = System.nanoTime();
                arrivals[outputs.size()] = now;
                latencies[outputs.size()] = System.currentTimeMillis() - r.timestamp();
                outputs.add(r.value());
            }
            if (outputs.size() - lastReport >= Math.max(1, expected / 4)) {
                lastReport = outputs.size();
                BenchOutput.progress("%d/%d outputs after %.1f s", outputs.size(), expected, (System.nanoTime() - start) / 1e9);
            }
        }
        return new Collected(arrivals, latencies, outputs);
    }

    /**
     * The model path alone, timed in this JVM after the broker has stopped, with the processor's
     * model settings (threads, ONNX Runtime tuning) and as many callers as it had stream threads, each
     * with its own session: full-chunk steps at the configured batch size and at the mean batch the
     * processor actually formed, plus generation when the run generated (one stream thread only).
     */
    private Map<String, Object> engineAlone(MemstreamConfig config, double meanBatch) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        int callers = s.streamThreads();
        // One thread per caller for the whole comparison: each keeps its session across batch sizes,
        // and a failed call surfaces here through its future.
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try (ModelRuntime runtime = ModelRuntime.load(modelDir, DeviceChoice.CPU, threads, config.ortTuning())) {
            int chunkLen = runtime.manifest().chunkLength();
            for (int b : new int[] {config.topology().batchMaxSize(), Math.max(1, (int) Math.round(meanBatch))}) {
                if (m.containsKey("batch_" + b)) {
                    continue;
                }
                float[][][] states = new float[b][][];
                int[][] tokens = new int[b][chunkLen];
                for (int i = 0; i < b; i++) {
                    states[i] = runtime.initialState();
                    Arrays.fill(tokens[i], 'e');
                }
                Callable<Timings> caller = () -> {
                    ModelSession session = runtime.sessionForCurrentThread();
                    return Timings.measure(() -> session.step(states, tokens), 1.0, s.engineSeconds(), 5);
                };
                List<Timings> perCaller = new ArrayList<>();
                for (Future<Timings> f : pool.invokeAll(java.util.Collections.nCopies(callers, caller))) {
                    perCaller.add(f.get());
                }
                Map<String, Object> row = new LinkedHashMap<>(perCaller.get(0).summary());
                double tokensPerS = 0;
                for (Timings t : perCaller) {
                    tokensPerS += b * chunkLen / (t.median() / 1e3);
                }
                row.put("callers", callers);
                row.put("absorbed_tokens_per_s", Timings.round(tokensPerS));
                if (s.newTokens() > 0 && callers == 1) {
                    row.putAll(generation(runtime, states, tokens));
                }
                m.put("batch_" + b, row);
                BenchOutput.progress("engine alone at B=%d, %d caller(s): step %.2f ms median (first caller)", b, callers,
                        perCaller.get(0).median());
            }
        } finally {
            pool.shutdownNow();
        }
        return m;
    }

    /** Step then generation of s.newTokens() for every row, as the processor does for a generating batch. */
    private Map<String, Object> generation(ModelRuntime runtime, float[][][] states, int[][] tokens) {
        ModelSession session = runtime.sessionForCurrentThread();
        int b = tokens.length;
        int chunkLen = runtime.manifest().chunkLength();
        int n = Math.min(s.newTokens(), runtime.manifest().maxNewTokens());
        Timings both = Timings.measure(() -> {
            session.step(states, tokens);
            long[] next = new long[b];
            try (ModelSession.Decoding d = session.prefill(states, tokens)) {
                for (int i = 0; i < n; i++) {
                    for (int r = 0; r < b; r++) {
                        next[r] = EngineBench.argmax(d.logits()[r]);
                    }
                    if (i < n - 1) {
                        d.decode(next);
                    }
                }
            }
        }, 1.0, s.engineSeconds(), 3);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step_and_generate", both.summary());
        row.put("absorbed_tokens_per_s_with_generation", Timings.round(b * chunkLen / (both.median() / 1e3)));
        row.put("generated_tokens_per_s", Timings.round(b * n / (both.median() / 1e3)));
        return row;
    }

    /**
     * End-to-end absorb rate over the engine's at the configured batch size (full chunks), and at the
     * batch size the processor actually formed; with generation, against the engine doing step and
     * generation at that batch size.
     */
    @SuppressWarnings("unchecked")
    private void addRatios(Map<String, Object> result) {
        Map<String, Object> engine = (Map<String, Object>) result.get("engine_alone");
        Map<String, Object> settings = (Map<String, Object>) result.get("settings");
        double e2e = (double) result.get("absorbed_tokens_per_s");
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
        }
        ratios.put("configured_batch", settings.get("batch_max_size"));
        result.put("ratios", ratios);
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory; the OS cleans it eventually
        }
    }
}
