package io.memstream.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs memstream's command line from tests in other packages, output and errors into one writer. */
public final class CliRunner {
    private CliRunner() {
    }

    public static int run(StringWriter out, String... args) {
        return Main.execute(new PrintWriter(out, true), new PrintWriter(out, true), args);
    }
}
