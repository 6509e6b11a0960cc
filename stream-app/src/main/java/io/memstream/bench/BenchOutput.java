package io.memstream.bench;

import ai.onnxruntime.OrtEnvironment;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Progress lines on stderr and one JSON file per benchmark, with what the machine was doing. */
public final class BenchOutput {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** System property naming the git revision the jar was built from. */
    static final String SOURCE_REV_PROPERTY = "memstream.source.rev";

    private BenchOutput() { }

    static void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "bench: " + format + "%n", args);
    }

    /**
     * The context a figure needs to be read: these are shared 2-core machines, so the load average
     * at start and end says whether a run was disturbed, and the processor's model which machine it
     * was (on an AMD EPYC PyTorch's MKL ran the same step 1.7-3x slower than on the machine of run L,
     * and ONNX Runtime faster: docs/performance-runs.md, "Run M").
     */
    static Map<String, Object> environment(List<String> command) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("command", String.join(" ", command));
        env.put("started_at", Instant.now().toString());
        env.put("cpus", Runtime.getRuntime().availableProcessors());
        env.put("cpu_model", cpuModel(Path.of("/proc/cpuinfo")));
        env.put("load_average_at_start", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        env.put("java", System.getProperty("java.version"));
        // Which code ran: the bench scripts pass the revision the jar was built from (bench/lib.sh,
        // bench/ab-commits.sh); absent when the jar is started some other way.
        String rev = System.getProperty(SOURCE_REV_PROPERTY);
        if (rev != null && !rev.isBlank()) {
            env.put("source_rev", rev);
        }
        return env;
    }

    /** The first "model name" in a Linux cpuinfo file; null where there is none (another OS). */
    static String cpuModel(Path cpuinfo) {
        try (var lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(null);
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }

    /** Writes {@code result} (with the end load average added to its environment) as JSON. */
    @SuppressWarnings("unchecked")
    static void write(Path file, Map<String, Object> result) {
        Object env = result.get("environment");
        if (env instanceof Map<?, ?> m) {
            ((Map<String, Object>) m).put("load_average_at_end",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            ((Map<String, Object>) m).put("finished_at", Instant.now().toString());
            // Asked only now: touching OrtEnvironment before DJL creates its engine breaks the engine.
            ((Map<String, Object>) m).put("onnxruntime", OrtEnvironment.getEnvironment().getVersion());
        }
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            JSON.writeValue(file.toFile(), result);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        progress("wrote %s", file);
    }
}
