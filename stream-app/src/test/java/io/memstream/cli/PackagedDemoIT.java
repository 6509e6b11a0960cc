package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar target/memstream.jar demo} in its own JVM, as the launcher runs it: catches what
 * tests sharing one JVM cannot (the jar's class path and resources, native libraries loaded from a
 * cold start, logging set-up, a clean exit, nothing left behind in the temporary directory).
 */
class PackagedDemoIT {
    @TempDir
    Path dir;

    @Test
    void thePackagedJarRunsTheDemoAndExitsCleanly() throws IOException, InterruptedException {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Process demo = demo(tmp, "demo", "--streams", "2", "--chunks", "2", "--model", "models/tiny");
        boolean finished = demo.waitFor(180, TimeUnit.SECONDS);
        if (!finished) {
            demo.destroyForcibly();
        }
        String output = read(dir.resolve("out.txt"));
        String errors = read(dir.resolve("err.txt"));
        assertTrue(finished, "demo still running after 180 s:\n" + output + errors);
        assertEquals(0, demo.exitValue(), output + errors);
        assertTrue(output.contains("4 of 4 continuations"), output);
        assertTrue(output.matches("(?s).*chunks: 4 in [0-9.]+ s; tokens: \\d+ absorbed \\+ \\d+ generated = \\d+ tokens/s.*"),
                "summary: chunks and tokens/s\n" + output);
        assertTrue(output.matches("(?s).*latency, sent to continuation read: p50 [0-9.]+ ms, p90 [0-9.]+ ms, p99 .*"),
                "summary: latency percentiles\n" + output);
        assertTrue(output.contains("done in"), output);
        assertTrue(!errors.contains("Exception"), "errors on stderr:\n" + errors);
        assertNothingLeftIn(tmp);
    }

    /**
     * {@code demo --keep-running}: another process publishes, follows and inspects through the printed
     * addresses; SIGTERM then stops it with exit code 0 and nothing left behind.
     */
    @Test
    void keepRunningServesOtherTerminalsUntilStopped() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Process demo = demo(tmp, "demo", "--streams", "1", "--chunks", "1", "--model", "models/tiny", "--keep-running");
        try {
            // The last line of the instructions, complete with its line end: everything before it is there too.
            String output = awaitOutput(demo, Pattern.compile("inspect doc-0 --url \\S+\\R"));
            String bootstrap = find(output, "bootstrap\\.servers +(\\S+)");
            String registry = find(output, "schema\\.registry\\.url +(\\S+)");
            String inspectUrl = find(output, "inspect doc-0 --url (\\S+)");

            Path psalm = Files.writeString(dir.resolve("psalm.txt"), "The LORD is my shepherd; I shall not want.");
            List<String> connect = List.of("-D", "bootstrap.servers=" + bootstrap, "-D", "schema.registry.url=" + registry,
                    "-D", "input.topic=memstream.chunks", "-D", "output.topic=memstream.continuations");
            StringWriter published = new StringWriter();
            assertEquals(0, cli(published, "publish", psalm.toString(), "--max-new-tokens", "3", connect), published.toString());
            StringWriter followed = new StringWriter();
            assertEquals(0, cli(followed, "follow", "--stream", "psalm", "--from-beginning", "--max", "1", "--json", "--idle-timeout-s", "90",
                    connect), followed.toString());
            assertTrue(followed.toString().contains("\"streamId\":\"psalm\""), followed.toString());
            StringWriter inspected = new StringWriter();
            assertEquals(0, cli(inspected, "inspect", "psalm", "--url", inspectUrl, List.of()), inspected.toString());
            assertTrue(inspected.toString().contains("chunks       1"), inspected.toString());
        } finally {
            demo.destroy(); // SIGTERM
        }
        assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "no exit within 60 s of SIGTERM");
        assertEquals(0, demo.exitValue(), read(dir.resolve("out.txt")) + read(dir.resolve("err.txt")));
        assertTrue(demo.descendants().findAny().isEmpty(), "no child process left");
        assertNothingLeftIn(tmp);
    }

    private Process demo(Path tmp, String... args) throws IOException {
        Path jar = Path.of(System.getProperty("memstream.jar", "target/memstream.jar"));
        Path root = Path.of(System.getProperty("memstream.repo.root", ".."));
        assertTrue(Files.isRegularFile(jar), "no " + jar + ": run through `mvn verify`");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-Dmemstream.home=" + root.toAbsolutePath(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile()).start();
    }

    private static int cli(StringWriter out, String command, String first, Object... rest) {
        List<String> args = new ArrayList<>(List.of(command, first));
        for (Object more : rest) {
            if (more instanceof List<?> list) {
                list.forEach(item -> args.add(item.toString()));
            } else {
                args.add(more.toString());
            }
        }
        return Main.execute(new PrintWriter(out, true), new PrintWriter(out, true), args.toArray(String[]::new));
    }

    private String awaitOutput(Process demo, Pattern marker) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline) {
            String output = read(dir.resolve("out.txt"));
            if (marker.matcher(output).find()) {
                return output;
            }
            assertTrue(demo.isAlive(), "demo exited:\n" + output + read(dir.resolve("err.txt")));
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + marker + "' within 180 s:\n" + read(dir.resolve("out.txt")));
    }

    private static String find(String output, String regex) {
        Matcher m = Pattern.compile(regex).matcher(output);
        assertTrue(m.find(), regex + " in\n" + output);
        return m.group(1);
    }

    /** The demo's own files are gone (its temporary directory, the broker's data, the state stores). */
    private static void assertNothingLeftIn(Path tmp) throws IOException {
        try (Stream<Path> left = Files.list(tmp)) {
            List<String> names = left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("memstream-")).toList();
            assertTrue(names.isEmpty(), "left behind in " + tmp + ": " + names);
        }
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
