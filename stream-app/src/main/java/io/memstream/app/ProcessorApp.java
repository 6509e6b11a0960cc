package io.memstream.app;

import io.memstream.config.MemstreamConfig;
import io.memstream.model.ModelRuntime;
import io.memstream.query.StreamSummaries;
import io.memstream.schema.MemoryState;
import io.memstream.topology.MemstreamSerdes;
import io.memstream.topology.MemstreamTopology;
import io.memstream.web.AppMeters;
import io.memstream.web.HttpEndpoints;
import java.io.IOException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running memstream processor: the model, the Kafka Streams client running the topology, and the
 * HTTP endpoints, started together and closed together (in reverse order).
 */
public final class ProcessorApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProcessorApp.class);

    private final ModelRuntime runtime;
    private final AppMeters meters;
    private final KafkaStreams streams;
    private final HttpEndpoints http;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closeDone = new CountDownLatch(1);

    private ProcessorApp(ModelRuntime runtime, AppMeters meters, KafkaStreams streams, HttpEndpoints http) {
        this.runtime = runtime;
        this.meters = meters;
        this.streams = streams;
        this.http = http;
    }

    /**
     * Checks the state directory, loads the model, checks that the broker (with the input topic) and
     * the registry answer ({@link StartupCheckException} otherwise), builds the topology and starts
     * Streams (and HTTP unless {@code http.port=0}).
     */
    public static ProcessorApp start(MemstreamConfig config) throws IOException {
        log.info("starting memstream with:\n{}", config.describe());
        StartupChecks.local(config);
        ModelRuntime runtime = ModelRuntime.load(config.modelDir(), config.device(), config.modelThreads(),
                config.ortTuning());
        log.info("stream memories are stored as {} (state.dtype={})",
                config.topology().stateDtype().resolve(runtime.manifest()).label(), config.topology().stateDtype().label());
        AppMeters meters = new AppMeters();
        KafkaStreams streams = null;
        HttpEndpoints http = null;
        try {
            StartupChecks.remote(config);
            MemstreamSerdes serdes = new MemstreamSerdes(config.registryConfigs());
            Topology topology = MemstreamTopology.build(config.topology(), runtime, serdes, meters.registry());
            Properties props = MemstreamTopology.streamsProperties(config.topology(), config.streamsProperties());
            // HTTP starts first: its address becomes application.server, which Streams needs at construction.
            AtomicReference<KafkaStreams> created = new AtomicReference<>();
            AtomicReference<StreamSummaries> summaries = new AtomicReference<>();
            if (config.httpPort() > 0) {
                http = HttpEndpoints.start(config.httpHost(), config.httpPort(), meters.registry(),
                        () -> created.get() == null ? null : created.get().state(), summaries::get);
                HostInfo self = AdvertisedServer.choose(props, config.httpHost(), http.port());
                props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
                log.info("metrics at http://{}:{}/metrics, health at /health, stream summaries at /streams/ID; "
                        + "other instances reach this one at {}:{}", config.httpHost(), http.port(), self.host(), self.port());
            }
            streams = new KafkaStreams(topology, props);
            created.set(streams);
            if (http != null) {
                Serializer<MemoryState> stored = serdes.memoryState().serializer();
                summaries.set(new StreamSummaries(streams,
                        HostInfo.buildFromEndpoint(props.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG)),
                        runtime.manifest().modelId(), runtime.manifest().fingerprint(),
                        state -> stored.serialize(MemstreamTopology.MEMORY_STORE, state).length));
            }
            meters.bind(streams);
            ProcessorApp app = new ProcessorApp(runtime, meters, streams, http);
            // A thread whose transaction was ended or fenced is replaced; any other failure stops this
            // client and its tasks move to the app's other instances (StreamThreadFailures says why).
            streams.setUncaughtExceptionHandler(e -> {
                StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse response = StreamThreadFailures.responseTo(e);
                if (response == StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD) {
                    log.warn("stream thread's transaction was ended or fenced; replacing the thread", e);
                } else {
                    log.error("stream thread failed; shutting this memstream instance down", e);
                }
                return response;
            });
            streams.setStateListener((now, before) -> {
                log.info("Kafka Streams {} -> {}", before, now);
                if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                    app.stopped.countDown();
                }
            });
            streams.start();
            return app;
        } catch (IOException | RuntimeException e) {
            if (http != null) {
                http.close();
            }
            if (streams != null) {
                streams.close(Duration.ofSeconds(10));
            }
            meters.close();
            runtime.close();
            throw e;
        }
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Waits until every stream thread runs its tasks, or fails when Streams stops first. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            KafkaStreams.State state = streams.state();
            if (state == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (!state.isRunningOrRebalancing() && state != KafkaStreams.State.CREATED) {
                throw new IllegalStateException("Kafka Streams stopped while starting: " + state);
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** Blocks until Streams stops by itself (a fatal error) or {@code timeout} passes. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The model the processor runs (the benchmarks read its step parts' idle time). */
    public ModelRuntime runtime() {
        return runtime;
    }

    /** The Kafka Streams client (for key metadata and store queries in tests and tools). */
    public KafkaStreams streams() {
        return streams;
    }

    public int httpPort() {
        return http == null ? 0 : http.port();
    }

    /**
     * Commits, closes Streams (leaving the group at once), then the HTTP server, meters and model.
     * Idempotent; a caller that finds a close under way on another thread (a signal handler's) waits
     * for it, so that when close returns the app is closed for every caller.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            try {
                closeDone.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        try {
            streams.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(30)).leaveGroup(true));
            if (http != null) {
                http.close();
            }
            meters.close();
            runtime.close();
        } finally {
            closeDone.countDown();
        }
    }
}
