package io.memstream.model;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One thread's handle on the model: a predictor per graph and the batched operations the
 * processor needs. Not thread-safe, but for {@link #stepAsync}, whose pieces run on the session's
 * step parts; every native tensor of a call is released when it returns.
 */
public final class ModelSession implements AutoCloseable {

    private final ModelRuntime runtime;
    private final ModelManifest manifest;
    private final Predictor<NDList, NDList> step;
    private final Predictor<NDList, NDList> prefill;
    /** Prefill on a part's threads, for a part of a split generation; null where generations are not split. */
    private final Predictor<NDList, NDList> prefillPart;
    private final Predictor<NDList, NDList> decode;
    private final NDManager base;
    private final boolean graphGivesTokenBits;
    /** The step parts, made by the first step that is split ({@link ModelRuntime#splitsSteps()}); else null. */
    private StepShards shards;
    /** Made by the first generation that is split; else null. */
    private GenerationParts generationParts;
    /** Whether unsplit steps and prefills run on a step part's sessions ({@link #onOneCore(ModelRuntime)}). */
    private final boolean oneCore;

    ModelSession(ModelRuntime runtime) {
        this(runtime, runtime.manifest().stepGivesTokenBits());
    }

    /**
     * {@code readTokenBits} false takes a chunk's bits from the logits even when step also gives
     * token_bits: the path of models exported without that output, which tests compare with it.
     */
    ModelSession(ModelRuntime runtime, boolean readTokenBits) {
        this(runtime, readTokenBits, false);
    }

    /**
     * A session whose unsplit steps and prefills run on a step part's sessions (one core's threads,
     * where the runtime splits steps), for a thread that runs beside others of its kind: a model
     * worker. Decoding is on such sessions already.
     */
    static ModelSession onOneCore(ModelRuntime runtime) {
        return new ModelSession(runtime, runtime.manifest().stepGivesTokenBits(), true);
    }

    private ModelSession(ModelRuntime runtime, boolean readTokenBits, boolean oneCore) {
        this.oneCore = oneCore && runtime.splitsSteps();
        this.runtime = runtime;
        this.manifest = runtime.manifest();
        this.step = graphFor(runtime, ModelManifest.STEP, oneCore ? ModelRuntime.STEP_SHARD : null)
                .newPredictor(new NoopTranslator());
        this.prefill = graphFor(runtime, ModelManifest.PREFILL, oneCore ? ModelRuntime.PREFILL_PART : null)
                .newPredictor(new NoopTranslator());
        var part = runtime.graph(ModelRuntime.PREFILL_PART);
        this.prefillPart = part == null ? null : part.newPredictor(new NoopTranslator());
        this.decode = runtime.graph(ModelManifest.DECODE).newPredictor(new NoopTranslator());
        this.base = runtime.graph(ModelManifest.STEP).getNDManager().newSubManager();
        this.graphGivesTokenBits = readTokenBits;
    }

    /** Whether this session's unsplit steps and prefills run on a step part's sessions. */
    boolean onOneCore() {
        return oneCore;
    }

    /** {@code preferred} where the runtime loaded it (null: always {@code graph}). */
    private static Model graphFor(ModelRuntime runtime, String graph, String preferred) {
        Model g = preferred == null ? null : runtime.graph(preferred);
        return g != null ? g : runtime.graph(graph);
    }

    public ModelManifest manifest() {
        return manifest;
    }

    /** One graph call with host tensors by name (all outputs copied back); for parity checks and tools. */
    public Map<String, HostTensor> call(String graph, Map<String, HostTensor> inputs) {
        try (NDManager m = base.newSubManager()) {
            NDList in = new NDList();
            for (String name : manifest.graph(graph).inputs()) {
                HostTensor t = inputs.get(name);
                if (t == null) {
                    throw new IllegalArgumentException("graph " + graph + " needs input " + name);
                }
                in.add(toNd(m, name, t));
            }
            NDList out = predict(predictor(graph), in);
            Map<String, HostTensor> result = new LinkedHashMap<>();
            for (String name : manifest.graph(graph).outputs()) {
                NDArray a = output(out, name);
                long[] shape = a.getShape().getShape();
                result.put(name, a.getDataType().isFloating()
                        ? HostTensor.of(a.toFloatArray(), shape) : HostTensor.of(a.toLongArray(), shape));
            }
            return result;
        }
    }

    /**
     * Absorbs one model chunk per row: {@code states[row][stateIndex]} is the memory before the
     * chunk, {@code tokens[row]} its 1..chunk_length tokens. Rows are padded to the longest one.
     */
    public StepOutput step(float[][][] states, int[][] tokens) {
        if (splitsStep(tokens.length)) {
            return shards().step(states, tokens);
        }
        long t0 = System.nanoTime();
        StepOutput out = step(step, base, states, tokens);
        return new StepOutput(out.bits(), out.nextState(), (System.nanoTime() - t0) / 1e6);
    }

    /**
     * Whether a step of {@code rows} rows runs in pieces on the session's step parts
     * ({@link ModelRuntime#splitsSteps()}, and enough rows), so that {@link #stepAsync} returns at once.
     */
    public boolean splitsStep(int rows) {
        return runtime.splitsSteps() && StepShards.splits(runtime.stepShards(), runtime.stepPieceRows(), rows);
    }

    /**
     * {@link #step} without waiting: the pieces of a split step ({@link #splitsStep}) are queued for
     * this session's step parts behind any step submitted before; a step too small to split runs on
     * {@code elsewhere}, on that thread's own session ({@link ModelRuntime#sessionForCurrentThread()}).
     * Cancelling the future skips the pieces not yet started.
     */
    public CompletableFuture<StepOutput> stepAsync(float[][][] states, int[][] tokens, Executor elsewhere) {
        return splitsStep(tokens.length) ? shards().submit(states, tokens)
                : CompletableFuture.supplyAsync(() -> runtime.sessionForCurrentThread().step(states, tokens), elsewhere);
    }

    /** Wall time this session's step parts have waited for work, summed over the parts; 0 before its first split step. */
    long stepPartsWaitingNanos() {
        return shards == null ? 0 : shards.waitingNanos();
    }

    private StepShards shards() {
        if (shards == null) {
            shards = new StepShards(runtime, this::step);
        }
        return shards;
    }

    /** One step call through {@code predictor}, its tensors under a sub-manager of {@code manager}. */
    private StepOutput step(Predictor<NDList, NDList> predictor, NDManager manager, float[][][] states, int[][] tokens) {
        int b = tokens.length;
        try (NDManager m = manager.newSubManager()) {
            NDList in = new NDList();
            addStates(m, in, states);
            int len = addTokens(m, in, tokens);
            NDList out = predict(predictor, in);
            double[] bits = graphGivesTokenBits ? chunkBits(output(out, ModelManifest.TOKEN_BITS), len)
                    : chunkBitsFromLogits(output(out, ModelManifest.LOGITS), tokens, len);
            float[][][] next = new float[b][manifest.state().size()][];
            for (int s = 0; s < manifest.state().size(); s++) {
                ModelManifest.StateSpec spec = manifest.state().get(s);
                float[] all = output(out, spec.next()).toFloatArray();
                for (int row = 0; row < b; row++) {
                    next[row][s] = new float[spec.size()];
                    System.arraycopy(all, row * spec.size(), next[row][s], 0, spec.size());
                }
            }
            return new StepOutput(bits, next);
        }
    }

    /** Per row, the sum of the graph's per-token bits [B, len] (padding contributes 0). */
    private static double[] chunkBits(NDArray tokenBits, int len) {
        float[] all = tokenBits.toFloatArray();
        double[] bits = new double[all.length / len];
        for (int i = 0; i < all.length; i++) {
            bits[i / len] += all[i];
        }
        return bits;
    }

    /** Per row, the bits of its tokens from the logits, for models whose step has no token_bits output. */
    private double[] chunkBitsFromLogits(NDArray logitsArray, int[][] tokens, int len) {
        float[] logits = logitsArray.toFloatArray();
        int v = manifest.tokenizer().vocabSize();
        double[] bits = new double[tokens.length];
        for (int row = 0; row < tokens.length; row++) {
            for (int t = 0; t < tokens[row].length; t++) {
                bits[row] += Sampler.bits(logits, ((long) row * len + t) * v, v, tokens[row][t]);
            }
        }
        return bits;
    }

    /**
     * Continues each row after its chunk: prefill on (memory before the chunk, chunk), then batched
     * decode until every row has finished. Rows that finish early are fed padding and ignored. On CPU
     * a batch of enough rows is shared out over one decoding sequence per model thread
     * ({@link GenerationParts}).
     */
    public List<Generation> generate(float[][][] states, int[][] tokens, List<GenerationSpec> specs) {
        int parts = runtime.stepShards();
        if (GenerationParts.splits(parts, tokens.length)) {
            if (generationParts == null) {
                generationParts = new GenerationParts(runtime, parts);
            }
            return generationParts.generate(this, states, tokens, specs);
        }
        return generateHere(states, tokens, specs, false);
    }

    /** {@link #generate} of every row on this session; {@code asPart}: prefill on a part's threads. */
    List<Generation> generateHere(float[][][] states, int[][] tokens, List<GenerationSpec> specs, boolean asPart) {
        int b = tokens.length;
        ByteTokenizer tok = runtime.tokenizer();
        List<RowGenerator> rows = new ArrayList<>(b);
        for (GenerationSpec spec : specs) {
            rows.add(new RowGenerator(spec, Math.min(spec.maxNewTokens(), manifest.maxNewTokens()), tok));
        }
        try (Decoding d = prefill(states, tokens, asPart && prefillPart != null ? prefillPart : prefill)) {
            while (true) {
                long[] next = new long[b];
                boolean any = false;
                for (int row = 0; row < b; row++) {
                    RowGenerator g = rows.get(row);
                    if (!g.done()) {
                        g.accept(d.logits()[row]);
                    }
                    next[row] = g.done() ? tok.pad() : g.lastToken();
                    any |= !g.done();
                }
                if (!any) {
                    break;
                }
                d.decode(next);
            }
        }
        return rows.stream().map(RowGenerator::result).toList();
    }

    /** Starts a cached decoding: {@link Decoding#logits()} is prefill's next-token distribution per row. */
    public Decoding prefill(float[][][] states, int[][] tokens) {
        return prefill(states, tokens, prefill);
    }

    private Decoding prefill(float[][][] states, int[][] tokens, Predictor<NDList, NDList> prefill) {
        NDManager m = base.newSubManager();
        try {
            NDList in = new NDList();
            addStates(m, in, states);
            addTokens(m, in, tokens);
            NDList out = predict(prefill, in);
            NDList cache = new NDList();
            NDManager rolling = m.newSubManager();
            for (ModelManifest.CacheSpec c : manifest.cache()) {
                NDArray a = output(out, c.name());
                if (!c.isStatic()) {
                    a.attach(rolling);
                }
                cache.add(a);
            }
            return new Decoding(m, rolling, cache, rows(output(out, ModelManifest.LOGITS).toFloatArray(), tokens.length));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * The cache of a generation in progress. Static cache tensors (prefill's keys/values) live in
     * the generation's manager until {@link #close()}; each decode call allocates the changing ones
     * in a fresh sub-manager and frees the previous one, so a long generation holds one copy.
     */
    public final class Decoding implements AutoCloseable {
        private final NDManager manager;
        private NDManager rolling;
        private NDList cache;
        private float[][] logits;

        private Decoding(NDManager manager, NDManager rolling, NDList cache, float[][] logits) {
            this.manager = manager;
            this.rolling = rolling;
            this.cache = cache;
            this.logits = logits;
        }

        /** {@code logits[row][vocab]}: the distribution of each row's next token. */
        public float[][] logits() {
            return logits;
        }

        /** Feeds the token just chosen for each row. */
        public void decode(long[] tokenPerRow) {
            NDManager next = manager.newSubManager();
            try {
                NDList in = new NDList();
                NDArray token = next.create(tokenPerRow, new Shape(tokenPerRow.length));
                token.setName(ModelManifest.TOKEN);
                in.add(token);
                for (int i = 0; i < manifest.cache().size(); i++) {
                    NDArray c = cache.get(i);
                    c.setName(manifest.cache().get(i).name());
                    in.add(c);
                }
                NDList out = predict(decode, in);
                NDList nextCache = new NDList();
                for (int i = 0; i < manifest.cache().size(); i++) {
                    ModelManifest.CacheSpec c = manifest.cache().get(i);
                    if (c.isStatic()) {
                        nextCache.add(cache.get(i));
                        continue;
                    }
                    NDArray a = output(out, c.next());
                    a.attach(next);
                    nextCache.add(a);
                }
                logits = rows(output(out, ModelManifest.LOGITS).toFloatArray(), tokenPerRow.length);
                rolling.close();
                rolling = next;
                cache = nextCache;
            } catch (RuntimeException e) {
                next.close();
                throw e;
            }
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    private Predictor<NDList, NDList> predictor(String graph) {
        return switch (graph) {
            case ModelManifest.STEP -> step;
            case ModelManifest.PREFILL -> prefill;
            case ModelManifest.DECODE -> decode;
            default -> throw new IllegalArgumentException("no graph " + graph);
        };
    }

    private void addStates(NDManager m, NDList in, float[][][] states) {
        int b = states.length;
        for (int s = 0; s < manifest.state().size(); s++) {
            ModelManifest.StateSpec spec = manifest.state().get(s);
            NDArray a = m.create(spec.stackRows(states, s), new Shape(spec.batchShape(b)));
            a.setName(spec.name());
            in.add(a);
        }
    }

    /** tokens[B, L] padded with pad, and lengths[B]; returns L. */
    private int addTokens(NDManager m, NDList in, int[][] tokens) {
        int b = tokens.length;
        int len = 1;
        for (int[] row : tokens) {
            if (row.length < 1 || row.length > manifest.chunkLength()) {
                throw new IllegalArgumentException("a model chunk has 1.." + manifest.chunkLength()
                        + " tokens, got " + row.length);
            }
            len = Math.max(len, row.length);
        }
        long[] ids = new long[b * len];
        long[] lengths = new long[b];
        java.util.Arrays.fill(ids, manifest.tokenizer().pad());
        for (int row = 0; row < b; row++) {
            for (int t = 0; t < tokens[row].length; t++) {
                ids[row * len + t] = tokens[row][t];
            }
            lengths[row] = tokens[row].length;
        }
        NDArray t = m.create(ids, new Shape(b, len));
        t.setName(ModelManifest.TOKENS);
        NDArray l = m.create(lengths, new Shape(b));
        l.setName(ModelManifest.LENGTHS);
        in.add(t);
        in.add(l);
        return len;
    }

    private NDArray toNd(NDManager m, String name, HostTensor t) {
        NDArray a = t.isFloat() ? m.create(t.floats(), new Shape(t.shape())) : m.create(t.longs(), new Shape(t.shape()));
        a.setName(name);
        return a;
    }

    private static NDList predict(Predictor<NDList, NDList> p, NDList in) {
        try {
            return p.predict(in);
        } catch (TranslateException e) {
            throw new IllegalStateException("model call failed: " + e.getMessage(), e);
        }
    }

    private static NDArray output(NDList out, String name) {
        NDArray a = out.get(name);
        if (a == null) {
            throw new IllegalStateException("graph output " + name + " missing; outputs are " + out.stream().map(NDArray::getName).toList());
        }
        return a;
    }

    private float[][] rows(float[] flat, int b) {
        int v = manifest.tokenizer().vocabSize();
        float[][] out = new float[b][v];
        for (int row = 0; row < b; row++) {
            System.arraycopy(flat, row * v, out[row], 0, v);
        }
        return out;
    }

    @Override
    public void close() {
        if (shards != null) {
            shards.close();
        }
        if (generationParts != null) {
            generationParts.close();
        }
        base.close();
        step.close();
        prefill.close();
        if (prefillPart != null) {
            prefillPart.close();
        }
        decode.close();
    }
}
