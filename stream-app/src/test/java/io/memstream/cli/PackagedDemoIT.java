package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar target/memstream.jar demo} in its own JVM, as the launcher runs it: catches what
 * tests sharing one JVM cannot (the jar's class path and resources, native libraries loaded from a
 * cold start, logging set-up, a clean exit).
 */
class PackagedDemoIT {
    @TempDir
    Path dir;

    @Test
    void thePackagedJarRunsTheDemoAndExitsCleanly() throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("memstream.jar", "target/memstream.jar"));
        Path root = Path.of(System.getProperty("memstream.repo.root", ".."));
        assertTrue(Files.isRegularFile(jar), "no " + jar + ": run through `mvn verify`");
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process demo = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dmemstream.home=" + root.toAbsolutePath(), "-jar", jar.toString(),
                "demo", "--streams", "2", "--chunks", "2", "--model", "models/tiny"))
                .directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean finished = demo.waitFor(180, TimeUnit.SECONDS);
        if (!finished) {
            demo.destroyForcibly();
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        String errors = Files.readString(err, StandardCharsets.UTF_8);
        assertTrue(finished, "demo still running after 180 s:\n" + output + errors);
        assertEquals(0, demo.exitValue(), output + errors);
        assertTrue(output.contains("4 of 4 continuations"), output);
        assertTrue(output.contains("done in"), output);
        assertTrue(!errors.contains("Exception"), "errors on stderr:\n" + errors);
    }
}
