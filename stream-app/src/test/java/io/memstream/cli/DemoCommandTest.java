package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code memstream demo} end to end: a real in-JVM broker, the mock registry, the processor on the tiny model. */
class DemoCommandTest {
    static final Path TINY = Path.of(System.getProperty("memstream.repo.root", ".."), "models", "tiny");

    @Test
    void runsTheWholePipelineAndPrintsOneContinuationPerChunk() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "demo",
                "--streams", "3", "--chunks", "3", "--chunk-bytes", "100", "--max-new-tokens", "6",
                "--model", TINY.toString());
        String output = out.toString();
        assertEquals(0, exit, output + err);
        assertTrue(output.contains("9 of 9 continuations"), output);
        for (int stream = 0; stream < 3; stream++) {
            for (int seq = 0; seq < 3; seq++) {
                Matcher line = Pattern.compile("doc-" + stream + " +seq +" + seq + " +(\\d+\\.\\d+) bits/byte.*"
                        + "-> \"(.*)\" \\[(length|eos|stop)\\]").matcher(output);
                assertTrue(line.find(), "no continuation line for doc-" + stream + " seq " + seq + " in\n" + output);
                double bits = Double.parseDouble(line.group(1));
                assertTrue(bits > 0 && bits < 20, "bits/byte " + bits);
            }
        }
        assertTrue(output.matches("(?s).*chunks: 9 in [0-9.]+ s; tokens: \\d+ absorbed \\+ \\d+ generated = \\d+ tokens/s.*"),
                "closing summary: chunks and tokens/s\n" + output);
        assertTrue(output.contains("model time per chunk (absorb + generate): p50 "), output);
        assertTrue(output.contains("done in"), output);
    }

    @Test
    void aMissingModelIsAClearErrorNotAStackTrace() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "demo",
                "--model", "/nonexistent/model");
        assertEquals(Main.CONFIG_ERROR, exit, out.toString() + err);
        assertTrue(err.toString().contains("model.dir=/nonexistent/model"), err.toString());
        assertTrue(!err.toString().contains("\tat "), "no stack trace:\n" + err);
    }
}
