package io.memstream.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Where this process's CPU went during a measured window, in cores (CPU seconds per wall second), by
 * thread group. The end-to-end benchmark runs the broker, the processor and the reader on the same
 * cores as the model (by default in one JVM), so its ratio to the engine alone depends on how much CPU
 * the rest takes; this says how much that is instead of leaving it to guesswork. A broker in a JVM of
 * its own is read as that whole process ({@link #BROKER_PROCESS}).
 *
 * <p>Java threads are read one by one ({@link ThreadMXBean#getThreadCpuTime}); what the process used
 * beyond them ran on threads the JVM does not list: garbage collection, the JIT compilers, ONNX
 * Runtime's own intra-op pools and RocksDB's background threads. A thread that ended inside the
 * window is not counted under its group (its time lands in that remainder). On Linux the remainder's
 * known native threads (collector, compilers, RocksDB) are read from {@code /proc/self/task}; what
 * is left after them is mostly ONNX Runtime's pools, whose threads carry no name of their own.
 */
final class CpuShares {

    /**
     * Threads that run the model: the model workers of batch.overlap and a split step's parts. Without
     * overlap the stream thread runs the model (a split step's part 0) itself.
     */
    static final String MODEL_THREADS = "model threads";
    /** Kafka Streams' threads: processing, the batcher's punctuation, and without overlap the model. */
    static final String STREAM_THREADS = "stream threads";
    static final String KAFKA_CLIENTS = "kafka client network threads";
    static final String READER = "bench reader and publisher";
    static final String BROKER = "broker (and other java threads)";
    /** The broker when it runs in a JVM of its own (bench e2e --broker-jvm): that whole process. */
    static final String BROKER_PROCESS = "broker process";
    static final String UNLISTED = "gc, jit, onnx runtime pools, rocksdb";
    /** Key of {@link #modelCores}'s figure in {@link #between}'s result. */
    static final String MODEL_CORES = "model_cores_with_ort_pools";

    record Snapshot(long wallNanos, long processCpuNanos, Map<Long, String> names, Map<Long, Long> cpuNanos,
                    Map<Long, String> osNames, Map<Long, Long> osCpuTicks, long brokerProcessCpuNanos) { }

    /** Native threads by the names the JVM and RocksDB give them (Linux truncates names to 15 chars). */
    private static final List<Map.Entry<String, String>> NATIVE = List.of(
            Map.entry("GC Thread", "gc"), Map.entry("G1 ", "gc"), Map.entry("C1 CompilerThre", "jit"),
            Map.entry("C2 CompilerThre", "jit"), Map.entry("rocksdb:", "rocksdb"), Map.entry("VM Thread", "jvm"));
    /** Clock ticks per second of /proc's utime and stime (USER_HZ; 100 on every Linux port in use). */
    private static final double TICKS_PER_SECOND = 100;

    private CpuShares() { }

    /** With {@code brokerProcessCpuNanos}: the CPU a broker in its own JVM has used so far (-1: none such). */
    static Snapshot take(LongSupplier brokerProcessCpuNanos) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, String> names = new HashMap<>();
        Map<Long, Long> cpu = new HashMap<>();
        long[] ids = mx.getAllThreadIds();
        ThreadInfo[] infos = mx.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            long t = mx.getThreadCpuTime(ids[i]);
            if (infos[i] != null && t >= 0) {
                names.put(ids[i], infos[i].getThreadName());
                cpu.put(ids[i], t);
            }
        }
        Map<Long, String> osNames = new HashMap<>();
        Map<Long, Long> osTicks = new HashMap<>();
        readOsThreads(osNames, osTicks);
        return new Snapshot(System.nanoTime(), processCpuNanos(), names, cpu, osNames, osTicks,
                brokerProcessCpuNanos.getAsLong());
    }

    /** Every thread of this process as Linux sees it (name and user+system ticks); nothing elsewhere. */
    private static void readOsThreads(Map<Long, String> names, Map<Long, Long> ticks) {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return;
        }
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path task : dir) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    // "tid (name) state ..." - the name may hold spaces and parentheses: split after the last ')'
                    int close = stat.lastIndexOf(')');
                    String[] f = stat.substring(close + 2).split(" ");
                    long tid = Long.parseLong(task.getFileName().toString());
                    names.put(tid, stat.substring(stat.indexOf('(') + 1, close));
                    ticks.put(tid, Long.parseLong(f[11]) + Long.parseLong(f[12]));  // utime, stime
                } catch (IOException | RuntimeException e) {
                    // the thread ended between listing and reading
                }
            }
        } catch (IOException e) {
            // no /proc view: the remainder stays unexplained
        }
    }

    /** The remainder's known native threads (gc, jit, rocksdb, jvm), cores each, from /proc. */
    private static Map<String, Object> nativeThreads(Snapshot a, Snapshot b, double wall) {
        Map<String, Double> kinds = new LinkedHashMap<>();
        for (var e : b.osCpuTicks().entrySet()) {
            String name = b.osNames().get(e.getKey());
            NATIVE.stream().filter(n -> name.startsWith(n.getKey())).findFirst().ifPresent(n -> kinds.merge(n.getValue(),
                    (e.getValue() - a.osCpuTicks().getOrDefault(e.getKey(), 0L)) / TICKS_PER_SECOND, Double::sum));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        kinds.forEach((k, v) -> out.put(k, Timings.round(v / wall)));
        return out;
    }

    /** Cores used by each group between two snapshots, and the busiest threads by name. */
    static Map<String, Object> between(Snapshot a, Snapshot b) {
        double wall = (b.wallNanos() - a.wallNanos()) / 1e9;
        Map<String, Double> groups = new LinkedHashMap<>();
        for (String g : List.of(MODEL_THREADS, STREAM_THREADS, KAFKA_CLIENTS, BROKER, READER, UNLISTED)) {
            groups.put(g, 0.0);
        }
        Map<String, Double> byName = new HashMap<>();
        double listed = 0;
        for (var e : b.cpuNanos().entrySet()) {
            double seconds = (e.getValue() - a.cpuNanos().getOrDefault(e.getKey(), 0L)) / 1e9;
            String name = b.names().get(e.getKey());
            groups.merge(group(name), seconds, Double::sum);
            byName.merge(name, seconds, Double::sum);
            listed += seconds;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("wall_s", Timings.round(wall));
        out.put("cpus", Runtime.getRuntime().availableProcessors());
        if (a.processCpuNanos() >= 0 && b.processCpuNanos() >= 0) {
            double process = (b.processCpuNanos() - a.processCpuNanos()) / 1e9;
            out.put("process_cores", Timings.round(process / wall));
            groups.put(UNLISTED, Math.max(0, process - listed));
        }
        Map<String, Object> cores = new LinkedHashMap<>();
        groups.forEach((g, s) -> cores.put(g, Timings.round(s / wall)));
        if (a.brokerProcessCpuNanos() >= 0 && b.brokerProcessCpuNanos() >= 0) {
            cores.put(BROKER_PROCESS, Timings.round((b.brokerProcessCpuNanos() - a.brokerProcessCpuNanos()) / 1e9 / wall));
        }
        out.put("cores_by_group", cores);
        Map<String, Object> known = b.osCpuTicks().isEmpty() ? Map.of() : nativeThreads(a, b, wall);
        if (!known.isEmpty()) {
            out.put("unlisted_known_native_cores", known);
        }
        out.put(MODEL_CORES, Timings.round(modelCores(cores, known)));
        List<Map.Entry<String, Double>> top = new ArrayList<>(byName.entrySet());
        top.sort(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()));
        Map<String, Object> busiest = new LinkedHashMap<>();
        top.stream().limit(12).forEach(e -> busiest.put(e.getKey(), Timings.round(e.getValue() / wall)));
        out.put("busiest_threads_cores", busiest);
        return out;
    }

    /**
     * The model's named threads plus the remainder that is none of the known native threads: ONNX
     * Runtime's intra-op pools, which run a session's calls beside the thread that made them when
     * {@code model.threads} gives a session more than one. What the model took of the machine, for
     * comparing a run with the engine alone on the same cores.
     */
    static double modelCores(Map<String, Object> coresByGroup, Map<String, Object> knownNative) {
        double pools = ((Number) coresByGroup.getOrDefault(UNLISTED, 0.0)).doubleValue();
        for (Object v : knownNative.values()) {
            pools -= ((Number) v).doubleValue();
        }
        return ((Number) coresByGroup.getOrDefault(MODEL_THREADS, 0.0)).doubleValue() + Math.max(0, pools);
    }

    static String group(String thread) {
        // tested first: both carry the name of the stream thread they serve
        if (thread.startsWith("memstream-step-part-") || thread.startsWith("memstream-model-")
                || thread.startsWith("memstream-generate-part-")) {
            return MODEL_THREADS;
        }
        // client threads carry their owner's client id ("...-StreamThread-1-producer"): test them first
        if (thread.startsWith("kafka-producer-network-thread") || thread.contains("consumer_background_thread")
                || thread.startsWith("kafka-coordinator-heartbeat-thread") || thread.contains("admin-client-thread")) {
            return KAFKA_CLIENTS;
        }
        if (thread.contains("-StreamThread-")) {
            return STREAM_THREADS;
        }
        if (thread.equals("main") || thread.startsWith("bench-")) {
            return READER;
        }
        return BROKER;
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }
}
