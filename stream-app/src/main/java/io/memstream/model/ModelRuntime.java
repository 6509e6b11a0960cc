package io.memstream.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.Model;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one loaded model of the JVM: manifest, tokenizer, initial state and the three graphs.
 *
 * <p>Graphs are shared; each stream thread gets its own {@link ModelSession} (DJL predictors are
 * not thread-safe) through {@link #sessionForCurrentThread()}.
 */
public final class ModelRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelRuntime.class);
    private static final String ENGINE = "OnnxRuntime";
    /** System properties DJL reads once, when it creates ORT's environment. */
    private static final String DJL_POOL_THREADS = "ai.djl.onnxruntime.num_threads";
    private static final String DJL_INTEROP_THREADS = "ai.djl.onnxruntime.num_interop_threads";
    /** The step graph once more, on sessions of fewer threads, for the parts of a split step ({@link StepShards}). */
    static final String STEP_SHARD = "step-shard";
    /**
     * The prefill graph once more, on sessions of a part's threads, for the parts of a split
     * generation ({@link GenerationParts}): a part's prefill on the full pool would share it with the
     * other part's, and a spinning pool's threads take the core the other part decodes on.
     */
    static final String PREFILL_PART = "prefill-part";

    private final ModelManifest manifest;
    private final ByteTokenizer tokenizer;
    private final float[][] initialState;
    private final Map<String, Model> graphs;
    private final Device device;
    private final ThreadLocal<ModelSession> sessions = new ThreadLocal<>();
    /** Every thread's session and model worker, by the thread that owns it, so both can be closed. */
    private final Map<Thread, ModelSession> openSessions = new ConcurrentHashMap<>();
    private final ThreadLocal<ExecutorService> workers = new ThreadLocal<>();
    private final Map<Thread, ExecutorService> openWorkers = new ConcurrentHashMap<>();
    private MergingStepper merging;
    private final int stepShards;

    private final int stepPieceRows;

    private ModelRuntime(ModelManifest manifest, Map<String, Model> graphs, Device device, int stepShards,
                         int stepPieceRows) {
        this.manifest = manifest;
        this.tokenizer = new ByteTokenizer(manifest.tokenizer());
        this.graphs = graphs;
        this.device = device;
        this.stepShards = graphs.containsKey(STEP_SHARD) ? stepShards : 1;
        this.stepPieceRows = graphs.containsKey(STEP_SHARD) ? stepPieceRows : OrtTuning.WHOLE_PARTS;
        this.initialState = readInitialState(manifest);
    }

    /** Loads and checks a model directory with the measured ORT settings ({@link OrtTuning#DEFAULT}). */
    public static ModelRuntime load(Path dir, DeviceChoice choice, int intraOpThreads) {
        return load(dir, choice, intraOpThreads, OrtTuning.DEFAULT);
    }

    /**
     * Loads and checks a model directory.
     *
     * @param intraOpThreads intra-op threads of each ORT session (one session per graph and stream
     *     thread); 1 runs every call on the calling stream thread. On CPU a step of enough rows runs
     *     as {@link OrtTuning#shardsFor} parts at once, each on that many fewer threads, and decode on
     *     {@link OrtTuning#decodeThreadsFor} threads
     */
    public static ModelRuntime load(Path dir, DeviceChoice choice, int intraOpThreads, OrtTuning tuning) {
        createEngine();
        ModelManifest manifest = ModelManifest.load(dir);
        int shards = tuning.shardsFor(intraOpThreads); // on CPU only: the GPU graphs have no step parts
        Map<String, Model> graphs;
        Device device;
        switch (choice) {
            case CPU -> {
                device = Device.cpu();
                graphs = loadGraphs(manifest, device, intraOpThreads, tuning, shards,
                        tuning.decodeThreadsFor(intraOpThreads));
            }
            case GPU -> {
                device = Device.gpu();
                graphs = loadOnGpu(manifest, intraOpThreads, tuning, true);
            }
            default -> {
                Map<String, Model> gpu = loadOnGpu(manifest, intraOpThreads, tuning, false);
                device = gpu != null ? Device.gpu() : Device.cpu();
                graphs = gpu != null ? gpu : loadGraphs(manifest, device, intraOpThreads, tuning, shards,
                        tuning.decodeThreadsFor(intraOpThreads));
            }
        }
        ModelRuntime runtime = new ModelRuntime(manifest, graphs, device, shards, tuning.stepPieceRows());
        try {
            runtime.checkGraphsMatchManifest();
        } catch (RuntimeException e) {
            runtime.close();
            throw e;
        }
        // DJL reports the ORT version it was built against; the environment knows the one loaded.
        log.info("model {} ({}) loaded from {} on {}, ONNX Runtime {}; {}", manifest.modelId(), manifest.fingerprint(),
                dir, device, OrtEnvironment.getEnvironment().getVersion(), runtime.describeSplit());
        return runtime;
    }

    private static boolean engineCreated;

    /**
     * Creates DJL's ORT engine (and with it ORT's environment) before anything else touches
     * OrtEnvironment, which would otherwise refuse DJL's thread-pool setting. DJL always gives the
     * environment a global pool, and cannot turn its spinning off; memstream's sessions use pools of
     * their own ({@link OrtTuning}), so the global one is kept at one thread, which starts no thread.
     */
    private static synchronized void createEngine() {
        if (!engineCreated) {
            if (System.getProperty(DJL_POOL_THREADS) == null) { // a user's own setting wins
                System.setProperty(DJL_POOL_THREADS, "1");
                System.setProperty(DJL_INTEROP_THREADS, "1");
            }
            Engine.getEngine(ENGINE);
            engineCreated = true;
        }
    }

    private static Map<String, Model> loadOnGpu(ModelManifest m, int threads, OrtTuning tuning, boolean required) {
        try {
            // One call uses the whole GPU: no step parts, no pieces.
            return loadGraphs(m, Device.gpu(), threads, tuning.withStepPieceRows(OrtTuning.WHOLE_PARTS), 1, threads);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            // ORT reports a missing CUDA/cuDNN as a failed shared-library load inside session creation.
            String reason = rootMessage(e);
            if (required) {
                throw new ModelLoadException("device=gpu but no GPU can be used by ONNX Runtime: " + reason
                        + " (needs the onnxruntime_gpu build, CUDA 12 and cuDNN 9; use device=cpu or auto)", e);
            }
            log.info("device=auto: no usable GPU ({}), running on CPU", reason);
            return null;
        }
    }

    /**
     * Loads each graph as a DJL model with session options of our own ({@link OrtTuning}): DJL's
     * Criteria only take string options, which cannot set spinning.
     */
    private static Map<String, Model> loadGraphs(ModelManifest m, Device device, int threads, OrtTuning tuning,
                                                 int stepShards, int decodeThreads) {
        Map<String, Model> loaded = new LinkedHashMap<>();
        try {
            for (String name : List.of(ModelManifest.STEP, ModelManifest.PREFILL)) {
                loaded.put(name, loadGraph(m, name, name, device, threads, tuning));
            }
            loaded.put(ModelManifest.DECODE, loadGraph(m, ModelManifest.DECODE, ModelManifest.DECODE, device,
                    decodeThreads, tuning));
            if (stepShards > 1 || tuning.stepPieceRows() != OrtTuning.WHOLE_PARTS) {
                loaded.put(STEP_SHARD, loadGraph(m, ModelManifest.STEP, STEP_SHARD, device, threads / stepShards, tuning));
            }
            if (stepShards > 1) {
                loaded.put(PREFILL_PART, loadGraph(m, ModelManifest.PREFILL, PREFILL_PART, device,
                        threads / stepShards, tuning));
            }
            return loaded;
        } catch (IOException | ai.djl.MalformedModelException | OrtException e) {
            loaded.values().forEach(Model::close);
            throw new ModelLoadException("cannot load the graphs of " + m.dir() + ": " + rootMessage(e), e);
        } catch (RuntimeException | Error e) {
            loaded.values().forEach(Model::close);
            throw e;
        }
    }

    private static Model loadGraph(ModelManifest m, String graph, String as, Device device, int threads,
                                   OrtTuning tuning) throws IOException, ai.djl.MalformedModelException, OrtException {
        Path file = m.dir().resolve(m.graph(graph).file());
        Model model = Model.newInstance(as, device, ENGINE);
        // ORT copies the options into the session: they can be closed once it exists.
        try (OrtSession.SessionOptions options = tuning.sessionOptions(threads)) {
            model.load(file, stem(file), Map.of("sessionOptions", options));
        } catch (IOException | ai.djl.MalformedModelException | OrtException | RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name;
    }

    /** Graph inputs must be the manifest's; outputs are checked by a one-token generation. */
    private void checkGraphsMatchManifest() {
        for (var e : graphs.entrySet()) {
            Set<String> actual = new HashSet<>(e.getValue().getBlock().describeInput().keys());
            String graph = e.getKey().equals(STEP_SHARD) ? ModelManifest.STEP
                    : e.getKey().equals(PREFILL_PART) ? ModelManifest.PREFILL : e.getKey();
            Set<String> declared = new HashSet<>(manifest.graph(graph).inputs());
            if (!actual.equals(declared)) {
                throw new ModelLoadException("graph " + e.getKey() + " takes inputs " + actual
                        + " but the manifest declares " + declared);
            }
        }
        try (ModelSession probe = new ModelSession(this)) {
            int[][] tokens = {{0}};
            float[][][] state = {initialState};
            probe.step(state, tokens);
            probe.generate(state, tokens, List.of(new GenerationSpec(2, 0f, 0, 1f, 0L, List.of())));
        } catch (RuntimeException e) {
            throw new ModelLoadException("model " + manifest.dir() + " does not run as its manifest says: "
                    + rootMessage(e), e);
        }
    }

    /** The calling thread's session, created on first use. */
    public ModelSession sessionForCurrentThread() {
        ModelSession s = sessions.get();
        if (s == null) {
            releaseEndedThreads();
            s = Thread.currentThread() instanceof WorkerThread ? ModelSession.onOneCore(this) : new ModelSession(this);
            sessions.set(s);
            openSessions.put(Thread.currentThread(), s);
        }
        return s;
    }

    /**
     * The calling thread's model workers, created on first use: {@link #modelWorkers()} daemon threads,
     * named after the caller, that run the model calls handed to them, each on the worker's own
     * session ({@link #sessionForCurrentThread()} called from the task). A stream thread with
     * batch.overlap hands them its batches' generations (and steps too small to split) and goes on
     * polling and committing meanwhile; all of that thread's tasks share them.
     */
    public ExecutorService workerForCurrentThread() {
        ExecutorService w = workers.get();
        if (w == null) {
            String owner = Thread.currentThread().getName();
            java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
            w = Executors.newFixedThreadPool(modelWorkers(),
                    r -> new WorkerThread(r, "memstream-model-" + n.getAndIncrement() + "-of-" + owner));
            workers.set(w);
            releaseEndedThreads();
            openWorkers.put(Thread.currentThread(), w);
        }
        return w;
    }

    /**
     * A model worker: its session runs steps and prefills on one core's sessions
     * ({@link ModelSession#onOneCore}), since the workers run side by side, one per step part. A
     * small step on the full pool gained no time (batch 1) and the pool's threads took the other
     * worker's core: 0.29 of the 2 cores end to end at batch.max.size=1, about none on one core's
     * sessions (docs/performance-runs.md, "Run L").
     */
    private static final class WorkerThread extends Thread {
        WorkerThread(Runnable task, String name) {
            super(task, name);
            setDaemon(true);
        }
    }

    /**
     * Model workers per stream thread: one per step part, so that as many generations (each a
     * sequence of one-thread decode calls) run at once as the model has threads; one on a GPU.
     */
    public int modelWorkers() {
        return stepShards;
    }

    /**
     * Closes the sessions and stops the workers of threads that have ended: Kafka Streams replaces a
     * stream thread that died with a new one, which gets sessions of its own; the old thread's would
     * otherwise hold their native predictors (and an idle worker thread) until the runtime closes.
     * A stopped worker finishes the calls it was given; its own session is closed once it has ended.
     */
    private void releaseEndedThreads() {
        releaseEnded(openWorkers, ExecutorService::shutdown);
        releaseEnded(openSessions, ModelSession::close);
    }

    private static <T> void releaseEnded(Map<Thread, T> byThread, java.util.function.Consumer<T> release) {
        byThread.entrySet().removeIf(e -> {
            boolean ended = !e.getKey().isAlive();
            if (ended) {
                release.accept(e.getValue());
            }
            return ended;
        });
    }

    /** Sessions made by {@link #sessionForCurrentThread()} not yet closed (for tests). */
    int openSessionCount() {
        return openSessions.size();
    }

    /**
     * The JVM's one merging step session (created on first use): stream threads that use it have
     * their concurrent batches merged into one model call of at most {@code maxRows} rows.
     */
    public synchronized MergingStepper mergingStepper(int maxRows) {
        if (merging == null) {
            merging = new MergingStepper(new ModelSession(this), maxRows);
        }
        return merging;
    }

    /** Native tensors currently held by the graphs' managers and their sub-managers (sessions, calls). */
    int liveNativeArrays() {
        int n = 0;
        for (Model g : graphs.values()) {
            n += g.getNDManager().getManagedArrays().size();
        }
        return n;
    }

    Model graph(String name) {
        return graphs.get(name);
    }

    /** Parts a step of enough rows is split into (1: never split). */
    public int stepShards() {
        return stepShards;
    }

    /**
     * Wall time the step parts of every open session have waited for a piece, summed over the parts
     * (a benchmark diffs two readings: how long the model idled for want of work).
     */
    public long stepPartsWaitingNanos() {
        long sum = 0;
        for (ModelSession s : openSessions.values()) {
            sum += s.stepPartsWaitingNanos();
        }
        return sum;
    }

    /** Rows per piece of a split step ({@link OrtTuning#stepPieceRows}); 0: one piece per part. */
    public int stepPieceRows() {
        return stepPieceRows;
    }

    /** How a step is split, for the start-up log: an operator sees what model.step.* came to. */
    String describeSplit() {
        if (!splitsSteps()) {
            return "step in one call";
        }
        return "step in " + stepShards + " part(s) of one session each"
                + (stepPieceRows == OrtTuning.WHOLE_PARTS ? "" : ", pieces of " + stepPieceRows + " rows");
    }

    /** Whether steps of enough rows run through {@link StepShards}: parts, pieces, or both. */
    boolean splitsSteps() {
        return graphs.containsKey(STEP_SHARD);
    }

    public ModelManifest manifest() {
        return manifest;
    }

    public ByteTokenizer tokenizer() {
        return tokenizer;
    }

    public Device device() {
        return device;
    }

    /** The learned initial state, {@code [stateIndex][values]}; callers must not modify it. */
    public float[][] initialState() {
        return initialState;
    }

    @Override
    public void close() {
        // Workers first: a model call still running would use the sessions closed below.
        openWorkers.values().forEach(ExecutorService::shutdown);
        for (ExecutorService w : openWorkers.values()) {
            try {
                if (!w.awaitTermination(30, TimeUnit.SECONDS)) {
                    log.warn("a model worker did not finish its call within 30 s; closing the sessions anyway");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        openWorkers.clear();
        synchronized (this) {
            if (merging != null) {
                merging.close();
                merging = null;
            }
        }
        openSessions.values().forEach(ModelSession::close);
        openSessions.clear();
        graphs.values().forEach(Model::close);
    }

    private static float[][] readInitialState(ModelManifest m) {
        float[][] out = new float[m.state().size()][];
        for (int i = 0; i < out.length; i++) {
            ModelManifest.StateSpec s = m.state().get(i);
            try {
                byte[] raw = Files.readAllBytes(m.dir().resolve(s.initial()));
                out[i] = new float[s.size()];
                ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out[i]);
            } catch (IOException e) {
                throw new ModelLoadException("cannot read initial state " + s.initial() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static String rootMessage(Throwable e) {
        List<String> seen = new ArrayList<>();
        for (Throwable t = e; t != null && seen.size() < 8; t = t.getCause()) {
            if (t.getMessage() != null) {
                seen.add(t.getMessage());
            }
        }
        return seen.isEmpty() ? e.toString() : seen.get(seen.size() - 1);
    }
}
