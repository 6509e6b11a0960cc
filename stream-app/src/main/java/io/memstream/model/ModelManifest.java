package io.memstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code manifest.json} of a model directory (see docs/model-contract.md), validated on load.
 *
 * <p>Everything the Java side knows about a model comes from here: tensor names, shapes, the
 * tokenizer and the limits. Validation is strict because a mismatch found at start is a clear
 * error, while one found in the middle of a stream is a corrupted memory.
 */
public record ModelManifest(
        Path dir,
        String modelId,
        String fingerprint,
        int chunkLength,
        int maxNewTokens,
        TokenizerSpec tokenizer,
        List<StateSpec> state,
        List<CacheSpec> cache,
        Map<String, GraphSpec> graphs,
        String stateStorageDtype) {

    public static final String STEP = "step";
    public static final String PREFILL = "prefill";
    public static final String DECODE = "decode";
    public static final String TOKENS = "tokens";
    public static final String LENGTHS = "lengths";
    public static final String TOKEN = "token";
    public static final String LOGITS = "logits";
    /** Optional last output of step: each token's bits [B, L], 0 at padding (docs/model-contract.md). */
    public static final String TOKEN_BITS = "token_bits";
    /** The state's element types: as the graphs compute it, and the half-size one it may be stored in. */
    public static final String FLOAT32 = "float32";
    public static final String FLOAT16 = "float16";

    /** Byte tokenizer settings: ids 0..255 are bytes, specials are ids from 256 on. */
    public record TokenizerSpec(int vocabSize, int pad, int bos, int eos, boolean bosAtStreamStart) { }

    /** One state tensor; {@code shape} is per stream, without the batch axis. */
    public record StateSpec(String name, int[] shape, String dtype, String next, String initial) {
        public int size() {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        /** Tensor {@code index} of every row's state, back to back: the batch-major layout a graph takes. */
        public float[] stackRows(float[][][] states, int index) {
            float[] batch = new float[states.length * size()];
            for (int row = 0; row < states.length; row++) {
                System.arraycopy(states[row][index], 0, batch, row * size(), size());
            }
            return batch;
        }

        /** {@code [batch, shape...]}. */
        public long[] batchShape(int batch) {
            long[] full = new long[shape.length + 1];
            full[0] = batch;
            for (int i = 0; i < shape.length; i++) {
                full[i + 1] = shape[i];
            }
            return full;
        }
    }

    /**
     * A decode cache tensor and the decode output that replaces it; {@code next} is null for a
     * static tensor (prefill's keys/values), which decode reads but does not output again, so the
     * caller passes the same tensor to every decode call of one generation.
     */
    public record CacheSpec(String name, String next) {
        public boolean isStatic() {
            return next == null;
        }
    }

    public record GraphSpec(String file, List<String> inputs, List<String> outputs) { }

    /** Reads and validates {@code dir/manifest.json}, then recomputes and checks the fingerprint. */
    public static ModelManifest load(Path dir) {
        Path file = dir.resolve("manifest.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("no model at " + dir.toAbsolutePath() + ": " + file.getFileName() + " not found");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException("cannot parse " + file + ": " + e.getMessage(), e);
        }
        ModelManifest manifest = parse(dir, root);
        manifest.validate();
        String actual = computeFingerprint(manifest);
        if (!actual.equals(manifest.fingerprint())) {
            throw new ModelLoadException("model files in " + dir + " do not match the manifest: fingerprint is "
                    + actual + ", manifest says " + manifest.fingerprint());
        }
        return manifest;
    }

    /** sha256 over step, prefill and decode graph files, then each state's initial file in manifest order. */
    public static String computeFingerprint(ModelManifest m) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            List<Path> files = new ArrayList<>();
            for (String graph : List.of(STEP, PREFILL, DECODE)) {
                files.add(m.dir().resolve(m.graphs().get(graph).file()));
            }
            for (StateSpec s : m.state()) {
                files.add(m.dir().resolve(s.initial()));
            }
            byte[] buffer = new byte[1 << 16];
            for (Path f : files) {
                try (InputStream in = new DigestInputStream(Files.newInputStream(f), sha)) {
                    while (in.read(buffer) >= 0) {
                        // the digest stream hashes what passes through
                    }
                } catch (IOException e) {
                    throw new ModelLoadException("cannot read model file " + f + ": " + e.getMessage(), e);
                }
            }
            return "sha256:" + HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    /** Whether step outputs each token's bits, so the caller need not take softmaxes of the logits. */
    public boolean stepGivesTokenBits() {
        List<String> out = graph(STEP).outputs();
        return !out.isEmpty() && out.get(out.size() - 1).equals(TOKEN_BITS);
    }

    public GraphSpec graph(String name) {
        return graphs.get(name);
    }

    private static ModelManifest parse(Path dir, JsonNode root) {
        int format = integer(root, "format_version");
        if (format != 1) {
            throw new ModelLoadException("manifest format_version " + format + " is not supported (expected 1)");
        }
        JsonNode tok = required(root, "tokenizer");
        String type = text(tok, "type");
        if (!"byte".equals(type)) {
            throw new ModelLoadException("tokenizer type '" + type + "' is not supported (expected byte)");
        }
        String encoding = tok.path("encoding").asText("utf-8");
        if (!"utf-8".equalsIgnoreCase(encoding)) {
            throw new ModelLoadException("tokenizer encoding '" + encoding + "' is not supported (expected utf-8)");
        }
        JsonNode specials = required(tok, "specials");
        var tokenizer = new TokenizerSpec(integer(tok, "vocab_size"), integer(specials, "pad"),
                integer(specials, "bos"), integer(specials, "eos"),
                tok.path("bos_at_stream_start").asBoolean(false));
        List<StateSpec> states = new ArrayList<>();
        for (JsonNode s : array(root, "state")) {
            JsonNode shapeNode = required(s, "shape");
            int[] shape = new int[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asInt(-1);
            }
            states.add(new StateSpec(text(s, "name"), shape, text(s, "dtype"), text(s, "next"), text(s, "initial")));
        }
        List<CacheSpec> caches = new ArrayList<>();
        for (JsonNode c : array(root, "cache")) {
            caches.add(new CacheSpec(text(c, "name"), c.path("next").isNull() ? null : text(c, "next")));
        }
        JsonNode graphsNode = required(root, "graphs");
        Map<String, GraphSpec> graphs = new java.util.LinkedHashMap<>();
        for (String g : List.of(STEP, PREFILL, DECODE)) {
            JsonNode gn = required(graphsNode, g);
            graphs.put(g, new GraphSpec(text(gn, "file"), strings(gn, "inputs"), strings(gn, "outputs")));
        }
        return new ModelManifest(dir, text(root, "model_id"), text(root, "fingerprint"),
                integer(root, "chunk_length"), integer(root, "max_new_tokens"), tokenizer,
                List.copyOf(states), List.copyOf(caches), Map.copyOf(graphs), stateStorageDtype(root));
    }

    /**
     * {@code state_storage.dtype}: the element type model-export found the state may be stored in
     * between chunks (it measures what rounding the stored state to float16 does to bits per byte,
     * model-export/memstream_model/state_storage.py); float32 when the manifest does not say.
     */
    private static String stateStorageDtype(JsonNode root) {
        JsonNode storage = root.get("state_storage");
        if (storage == null || storage.isNull()) {
            return FLOAT32;
        }
        String dtype = text(storage, "dtype");
        if (!FLOAT32.equals(dtype) && !FLOAT16.equals(dtype)) {
            throw new ModelLoadException("manifest: state_storage dtype '" + dtype + "' is not float32 or float16");
        }
        return dtype;
    }

    private void validate() {
        if (chunkLength < 1 || maxNewTokens < 1) {
            throw new ModelLoadException("chunk_length and max_new_tokens must be positive");
        }
        int v = tokenizer.vocabSize();
        for (int id : new int[] {tokenizer.pad(), tokenizer.bos(), tokenizer.eos()}) {
            if (id < 256 || id >= v) {
                throw new ModelLoadException("special token id " + id + " must be in 256.." + (v - 1));
            }
        }
        if (state.isEmpty()) {
            throw new ModelLoadException("manifest declares no state tensor");
        }
        for (StateSpec s : state) {
            if (!FLOAT32.equals(s.dtype())) {
                throw new ModelLoadException("state " + s.name() + ": dtype " + s.dtype() + " is not supported (float32)");
            }
            if (s.shape().length == 0) {
                throw new ModelLoadException("state " + s.name() + ": empty shape");
            }
            for (int d : s.shape()) {
                if (d < 1) {
                    throw new ModelLoadException("state " + s.name() + ": shape dimensions must be positive");
                }
            }
            Path init = dir.resolve(s.initial());
            long expected = 4L * s.size();
            try {
                long actual = Files.size(init);
                if (actual != expected) {
                    throw new ModelLoadException("state " + s.name() + ": " + init + " has " + actual
                            + " bytes, shape needs " + expected);
                }
            } catch (IOException e) {
                throw new ModelLoadException("state " + s.name() + ": initial file " + init + " not readable", e);
            }
        }
        List<String> stateNames = state.stream().map(StateSpec::name).toList();
        List<String> stateNext = state.stream().map(StateSpec::next).toList();
        List<String> cacheNames = cache.stream().map(CacheSpec::name).toList();
        List<String> cacheNext = cache.stream().filter(c -> !c.isStatic()).map(CacheSpec::next).toList();
        expectNames(STEP, true, concat(stateNames, List.of(TOKENS, LENGTHS)));
        expectNames(STEP, false, concat(List.of(LOGITS), stepGivesTokenBits()
                ? concat(stateNext, List.of(TOKEN_BITS)) : stateNext));
        expectNames(PREFILL, true, concat(stateNames, List.of(TOKENS, LENGTHS)));
        expectNames(PREFILL, false, concat(List.of(LOGITS), cacheNames));
        expectNames(DECODE, true, concat(List.of(TOKEN), cacheNames));
        expectNames(DECODE, false, concat(List.of(LOGITS), cacheNext));
        for (GraphSpec g : graphs.values()) {
            if (!Files.isRegularFile(dir.resolve(g.file()))) {
                throw new ModelLoadException("graph file " + dir.resolve(g.file()) + " not found");
            }
        }
    }

    /** The declared names must be exactly what the contract says the graph takes or gives. */
    private void expectNames(String graph, boolean inputs, List<String> expected) {
        GraphSpec g = graphs.get(graph);
        Set<String> declared = new LinkedHashSet<>(inputs ? g.inputs() : g.outputs());
        if (!declared.equals(new LinkedHashSet<>(expected))) {
            throw new ModelLoadException("graph " + graph + " declares " + (inputs ? "inputs " : "outputs ")
                    + declared + " but the state/cache entries require " + expected);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static JsonNode required(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            throw new ModelLoadException("manifest: missing key '" + key + "'");
        }
        return v;
    }

    private static String text(JsonNode node, String key) {
        JsonNode v = required(node, key);
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new ModelLoadException("manifest: '" + key + "' must be a non-empty string");
        }
        return v.asText();
    }

    private static int integer(JsonNode node, String key) {
        JsonNode v = required(node, key);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new ModelLoadException("manifest: '" + key + "' must be an integer");
        }
        return v.asInt();
    }

    private static Iterable<JsonNode> array(JsonNode node, String key) {
        JsonNode v = required(node, key);
        if (!v.isArray()) {
            throw new ModelLoadException("manifest: '" + key + "' must be an array");
        }
        return v;
    }

    private static List<String> strings(JsonNode node, String key) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array(node, key)) {
            out.add(n.asText());
        }
        return List.copyOf(out);
    }
}
