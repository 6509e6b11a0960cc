package io.memstream.cli;

import io.memstream.app.StartupCheckException;
import io.memstream.client.TopicNotFoundException;
import io.memstream.config.MemstreamConfigException;
import io.memstream.model.ModelLoadException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** memstream's command line: {@code demo}, {@code run}, {@code publish}, {@code follow}, {@code inspect}. */
@Command(name = "memstream", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Per-stream recurrent memory for document streams on Kafka: a Kafka Streams processor "
                + "that keeps each stream's memory in RocksDB and runs an ONNX memory transformer on it.",
        subcommands = {DemoCommand.class, RunCommand.class, PublishCommand.class, FollowCommand.class, InspectCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code of a bad configuration, a model that cannot be loaded, a missing topic, or a failed start-up check. */
    static final int CONFIG_ERROR = 2;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed (try: memstream demo)");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs a command line with its output and errors sent where the caller wants them (tests). */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new Main()).setOut(out).setErr(err)
                .setCaseInsensitiveEnumValuesAllowed(true);
        // Configuration, model and topic problems are the user's to fix: a clear message, no stack trace.
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof MemstreamConfigException || e instanceof ModelLoadException
                    || e instanceof TopicNotFoundException || e instanceof StartupCheckException) {
                cmd.getErr().println("memstream " + cmd.getCommandName() + ": " + e.getMessage());
                return CONFIG_ERROR;
            }
            throw e;
        });
        return commandLine.execute(args);
    }
}
