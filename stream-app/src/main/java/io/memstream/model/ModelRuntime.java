package io.memstream.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
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
import java.util.concurrent.CopyOnWriteArrayList;
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

    private final ModelManifest manifest;
    private final ByteTokenizer tokenizer;
    private final float[][] initialState;
    private final Map<String, ZooModel<NDList, NDList>> graphs;
    private final Device device;
    private final ThreadLocal<ModelSession> sessions = new ThreadLocal<>();
    private final List<ModelSession> openSessions = new CopyOnWriteArrayList<>();
    private MergingStepper merging;

    private ModelRuntime(ModelManifest manifest, Map<String, ZooModel<NDList, NDList>> graphs, Device device) {
        this.manifest = manifest;
        this.tokenizer = new ByteTokenizer(manifest.tokenizer());
        this.graphs = graphs;
        this.device = device;
        this.initialState = readInitialState(manifest);
    }

    /**
     * Loads and checks a model directory.
     *
     * @param intraOpThreads size of ORT's one intra-op thread pool for the JVM (shared by every
     *     graph and stream thread); 1 runs every call on the calling stream thread
     */
    public static ModelRuntime load(Path dir, DeviceChoice choice, int intraOpThreads) {
        createEngine(intraOpThreads);
        ModelManifest manifest = ModelManifest.load(dir);
        Map<String, ZooModel<NDList, NDList>> graphs;
        Device device;
        switch (choice) {
            case CPU -> {
                device = Device.cpu();
                graphs = loadGraphs(manifest, device, intraOpThreads);
            }
            case GPU -> {
                device = Device.gpu();
                graphs = loadOnGpu(manifest, intraOpThreads, true);
            }
            default -> {
                Map<String, ZooModel<NDList, NDList>> gpu = loadOnGpu(manifest, intraOpThreads, false);
                device = gpu != null ? Device.gpu() : Device.cpu();
                graphs = gpu != null ? gpu : loadGraphs(manifest, device, intraOpThreads);
            }
        }
        ModelRuntime runtime = new ModelRuntime(manifest, graphs, device);
        try {
            runtime.checkGraphsMatchManifest();
        } catch (RuntimeException e) {
            runtime.close();
            throw e;
        }
        // DJL reports the ORT version it was built against; the environment knows the one loaded.
        log.info("model {} ({}) loaded from {} on {}, ONNX Runtime {}", manifest.modelId(), manifest.fingerprint(),
                dir, device, OrtEnvironment.getEnvironment().getVersion());
        return runtime;
    }

    /** Set once per JVM: the size of ORT's global intra-op pool (-1 before the engine exists). */
    private static int globalPoolThreads = -1;

    /**
     * Creates DJL's ORT engine (and with it ORT's environment) before anything else touches
     * OrtEnvironment, which would otherwise refuse a second thread-pool setting. The engine gets
     * one global intra-op pool that every session of the JVM shares: three graphs times several
     * stream threads with pools of their own would oversubscribe the cores and spin against each
     * other.
     */
    private static synchronized void createEngine(int threads) {
        if (globalPoolThreads < 0) {
            if (System.getProperty(DJL_POOL_THREADS) == null) { // a user's own setting wins
                System.setProperty(DJL_POOL_THREADS, Integer.toString(Math.max(1, threads)));
                System.setProperty(DJL_INTEROP_THREADS, "1");
            }
            Engine.getEngine(ENGINE);
            globalPoolThreads = Integer.getInteger(DJL_POOL_THREADS, 0);
        } else if (globalPoolThreads > 0 && globalPoolThreads != Math.max(1, threads)) {
            log.warn("ONNX Runtime's thread pool already has {} threads in this JVM; {} requested", globalPoolThreads, threads);
        }
    }

    private static Map<String, ZooModel<NDList, NDList>> loadOnGpu(ModelManifest m, int threads, boolean required) {
        try {
            return loadGraphs(m, Device.gpu(), threads);
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

    private static Map<String, ZooModel<NDList, NDList>> loadGraphs(ModelManifest m, Device device, int threads) {
        Map<String, ZooModel<NDList, NDList>> loaded = new LinkedHashMap<>();
        try {
            for (String name : List.of(ModelManifest.STEP, ModelManifest.PREFILL, ModelManifest.DECODE)) {
                Criteria<NDList, NDList> criteria = Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(m.dir().resolve(m.graph(name).file()))
                        .optEngine(ENGINE)
                        .optDevice(device)
                        .optTranslator(new NoopTranslator())
                        .optOption("intraOpNumThreads", Integer.toString(Math.max(1, threads)))
                        .optOption("interOpNumThreads", "1")
                        .optOption("disablePerSessionThreads", Boolean.toString(globalPoolThreads > 0))
                        .build();
                loaded.put(name, criteria.loadModel());
            }
            return loaded;
        } catch (IOException | ai.djl.MalformedModelException | ai.djl.repository.zoo.ModelNotFoundException e) {
            loaded.values().forEach(ZooModel::close);
            throw new ModelLoadException("cannot load the graphs of " + m.dir() + ": " + rootMessage(e), e);
        } catch (RuntimeException | Error e) {
            loaded.values().forEach(ZooModel::close);
            throw e;
        }
    }

    /** Graph inputs must be the manifest's; outputs are checked by a one-token generation. */
    private void checkGraphsMatchManifest() {
        for (var e : graphs.entrySet()) {
            Set<String> actual = new HashSet<>(e.getValue().getBlock().describeInput().keys());
            Set<String> declared = new HashSet<>(manifest.graph(e.getKey()).inputs());
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
            s = new ModelSession(this);
            sessions.set(s);
            openSessions.add(s);
        }
        return s;
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
        for (ZooModel<NDList, NDList> g : graphs.values()) {
            n += g.getNDManager().getManagedArrays().size();
        }
        return n;
    }

    ZooModel<NDList, NDList> graph(String name) {
        return graphs.get(name);
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
        synchronized (this) {
            if (merging != null) {
                merging.close();
                merging = null;
            }
        }
        openSessions.forEach(ModelSession::close);
        openSessions.clear();
        graphs.values().forEach(ZooModel::close);
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
