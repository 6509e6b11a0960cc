package io.memstream.web;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Resident and peak memory of the whole process, from Linux's {@code /proc/self/status}. The JVM's
 * own meters miss what matters most here: ONNX Runtime's and RocksDB's native allocations, which
 * live outside the heap. Registers nothing where {@code /proc} does not exist.
 */
public final class ProcessMemoryMetrics implements MeterBinder {
    private final Path status;

    public ProcessMemoryMetrics() {
        this(Path.of("/proc/self/status"));
    }

    ProcessMemoryMetrics(Path status) {
        this.status = status;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        if (!Files.isReadable(status)) {
            return;
        }
        // Strong references: gauges hold their object weakly, and nothing else keeps this binder alive.
        Gauge.builder("process.memory.rss", this, m -> m.kilobytes("VmRSS:") * 1024.0).baseUnit("bytes")
                .description("Resident set size of the process (heap, native libraries, ONNX Runtime, RocksDB)")
                .strongReference(true).register(registry);
        Gauge.builder("process.memory.rss.peak", this, m -> m.kilobytes("VmHWM:") * 1024.0).baseUnit("bytes")
                .description("Peak resident set size of the process").strongReference(true).register(registry);
    }

    /** A {@code kB} field of the status file, or NaN when it cannot be read. */
    private double kilobytes(String field) {
        try {
            List<String> lines = Files.readAllLines(status);
            for (String line : lines) {
                if (line.startsWith(field)) {
                    return Double.parseDouble(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
