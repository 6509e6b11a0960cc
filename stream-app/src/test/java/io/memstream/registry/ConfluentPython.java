package io.memstream.registry;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Confluent's own Python client (Debian's python3-confluent-kafka with python3-avro and
 * python3-requests) driven through {@code interop/confluent_avro_interop.py}: an implementation of
 * the wire format and the registry protocol that shares no code with memstream's.
 */
public final class ConfluentPython {
    private static final String PYTHON = "/usr/bin/python3";
    private final Path script;

    private ConfluentPython(Path script) {
        this.script = script;
    }

    /** The client with its script copied into {@code dir}, or the test is skipped saying what to install. */
    public static ConfluentPython orSkip(Path dir) throws IOException, InterruptedException {
        boolean usable = false;
        if (Files.isExecutable(Path.of(PYTHON))) {
            Process probe = new ProcessBuilder(PYTHON, "-c", "import confluent_kafka.avro, requests, avro")
                    .redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            usable = probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0;
        }
        Assumptions.assumeTrue(usable, "Confluent's Python client is not installed "
                + "(apt-get install python3-confluent-kafka python3-avro python3-requests)");
        Path script = dir.resolve("confluent_avro_interop.py");
        try (InputStream in = ConfluentPython.class.getResourceAsStream("/interop/confluent_avro_interop.py")) {
            Files.write(script, in.readAllBytes());
        }
        return new ConfluentPython(script);
    }

    /** Runs the script in {@code args[0]} mode with {@code stdin} lines; its stdout lines. Fails on a non-zero exit. */
    public List<String> run(List<String> stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PYTHON, script.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
            for (String line : stdin) {
                in.write(line + "\n");
            }
        }
        List<String> out = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            reader.lines().forEach(out::add);
        }
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("python interop script " + args[0] + " did not finish within 120 s");
        }
        if (process.exitValue() != 0) {
            throw new AssertionError("python interop script " + args[0] + " failed (exit " + process.exitValue()
                    + "); its output: " + out);
        }
        return out;
    }
}
