package io.memstream.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.memstream.model.ModelManifest;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * ONNX Runtime session options measured on the step graph with ORT's own Java API (what DJL calls
 * underneath): graph optimisation level, per-session thread pools with and without spinning, or one
 * global pool (as memstream uses) with and without spinning. ORT allows one environment per JVM, so a
 * global-pool configuration is one JVM run ({@code --global-pool}); per-session ones are all measured
 * in one run. Workloads: step at batch 1 and 32 on one thread, and two threads stepping batch 8
 * concurrently on two sessions (two stream threads).
 */
final class OrtOptionsBench {

    private final Path step;
    private final ModelManifest manifest;
    private final float[] initial;
    private final double seconds;

    OrtOptionsBench(Path modelDir, double seconds) throws java.io.IOException {
        this.manifest = ModelManifest.load(modelDir);
        this.step = modelDir.resolve(manifest.graph(ModelManifest.STEP).file());
        ModelManifest.StateSpec s = manifest.state().get(0);
        byte[] raw = Files.readAllBytes(modelDir.resolve(s.initial()));
        this.initial = new float[s.size()];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(initial);
        this.seconds = seconds;
    }

    /** Per-session pools: every combination of optimisation level and spinning, {@code threads} intra-op each. */
    List<Map<String, Object>> perSession(int threads) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "bench");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (OptLevel level : List.of(OptLevel.BASIC_OPT, OptLevel.EXTENDED_OPT, OptLevel.ALL_OPT)) {
            for (boolean spin : new boolean[] {true, false}) {
                rows.add(measure(env, "per-session pool", level, threads, spin, false));
            }
        }
        return rows;
    }

    /** One global pool of {@code threads} (memstream's set-up), spinning as given; one per JVM. */
    List<Map<String, Object>> globalPool(int threads, boolean spin) throws OrtException {
        OrtEnvironment.ThreadingOptions t = new OrtEnvironment.ThreadingOptions();
        t.setGlobalIntraOpNumThreads(threads);
        t.setGlobalInterOpNumThreads(1);
        t.setGlobalSpinControl(spin);
        OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "bench", t);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (OptLevel level : List.of(OptLevel.BASIC_OPT, OptLevel.ALL_OPT)) {
            rows.add(measure(env, "global pool", level, threads, spin, true));
        }
        return rows;
    }

    private Map<String, Object> measure(OrtEnvironment env, String pool, OptLevel level, int threads, boolean spin,
                                        boolean global) throws OrtException {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("pool", pool);
        row.put("opt_level", level.name());
        row.put("intra_op_threads", threads);
        row.put("spinning", spin);
        try (OrtSession.SessionOptions so = options(level, threads, spin, global);
             OrtSession a = env.createSession(step.toString(), so);
             OrtSession b = env.createSession(step.toString(), so)) {
            for (int batch : new int[] {1, 32}) {
                Timings t = Timings.measure(() -> run(env, a, batch), 1.0, seconds, 10);
                row.put("step_b" + batch, withRate(t, batch));
            }
            ExecutorService two = Executors.newFixedThreadPool(2);
            try {
                Timings t = Timings.measure(() -> {
                    Future<?> f1 = two.submit(() -> run(env, a, 8));
                    Future<?> f2 = two.submit(() -> run(env, b, 8));
                    try {
                        f1.get();
                        f2.get();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, 1.0, seconds, 10);
                row.put("two_threads_step_b8", withRate(t, 16));
            } finally {
                two.shutdownNow();
            }
        }
        BenchOutput.progress("%s %s spin=%s: B=1 %s ms, B=32 %s ms, 2 threads x B=8 %s ms", pool, level, spin,
                ((Map<?, ?>) row.get("step_b1")).get("median_ms"), ((Map<?, ?>) row.get("step_b32")).get("median_ms"),
                ((Map<?, ?>) row.get("two_threads_step_b8")).get("median_ms"));
        return row;
    }

    private Map<String, Object> withRate(Timings t, int rows) {
        Map<String, Object> m = t.summary();
        m.put("tokens_per_s", Timings.round(rows * manifest.chunkLength() / (t.median() / 1e3)));
        return m;
    }

    private static OrtSession.SessionOptions options(OptLevel level, int threads, boolean spin, boolean global)
            throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setOptimizationLevel(level);
        so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        if (global) {
            so.disablePerSessionThreads();
        } else {
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            so.addConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
        }
        return so;
    }

    /** One step call over {@code batch} full chunks from the initial memory. */
    private void run(OrtEnvironment env, OrtSession session, int batch) {
        int len = manifest.chunkLength();
        ModelManifest.StateSpec s = manifest.state().get(0);
        float[] mem = new float[batch * s.size()];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(initial, 0, mem, i * s.size(), s.size());
        }
        long[] ids = new long[batch * len];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 32 + (i * 7919) % 95;
        }
        long[] lengths = new long[batch];
        java.util.Arrays.fill(lengths, len);
        long[] memShape = new long[s.shape().length + 1];
        memShape[0] = batch;
        for (int i = 0; i < s.shape().length; i++) {
            memShape[i + 1] = s.shape()[i];
        }
        try (OnnxTensor m = OnnxTensor.createTensor(env, FloatBuffer.wrap(mem), memShape);
             OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {batch, len});
             OnnxTensor l = OnnxTensor.createTensor(env, LongBuffer.wrap(lengths), new long[] {batch});
             OrtSession.Result r = session.run(Map.of(s.name(), m, ModelManifest.TOKENS, t, ModelManifest.LENGTHS, l))) {
            if (r.size() < 2) {
                throw new IllegalStateException("step returned " + r.size() + " outputs");
            }
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
