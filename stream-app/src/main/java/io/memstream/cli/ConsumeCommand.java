package io.memstream.cli;

import io.memstream.client.ContinuationReader;
import io.memstream.client.DeadLetterReader;
import io.memstream.config.MemstreamConfig;
import io.memstream.demo.ContinuationFormatter;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints the continuations of the output topic (or the dead letters), committed ones only. */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = "Print continuations from the output topic (read_committed), one line each; "
                + "with --dead-letters, the records memstream rejected and why.")
final class ConsumeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Option(names = "--from-beginning", description = "Start at the oldest continuation, not at the end.")
    boolean fromBeginning;

    @Option(names = "--dead-letters", description = "Read the dead-letter topic (dlq.topic) instead.")
    boolean deadLetters;

    @Option(names = "--max", defaultValue = "0", description = "Stop after this many (0: no limit).")
    long max;

    @Option(names = "--idle-timeout-s", defaultValue = "0",
            description = "Stop when nothing arrives for this long (0: wait forever).")
    long idleTimeoutSeconds;

    @Override
    public Integer call() {
        MemstreamConfig config = options.loadForClients();
        if (deadLetters) {
            try (DeadLetterReader reader = new DeadLetterReader(config.registryConfigs(),
                    config.topology().dlqTopic(), fromBeginning)) {
                print(timeout -> reader.poll(timeout).stream().map(ConsumeCommand::format).toList());
            }
        } else {
            try (ContinuationReader reader = new ContinuationReader(config.registryConfigs(),
                    config.topology().outputTopic(), fromBeginning)) {
                print(timeout -> reader.poll(timeout).stream()
                        .map(record -> ContinuationFormatter.format(record.value())).toList());
            }
        }
        return 0;
    }

    /** Polls and prints lines until --max lines or --idle-timeout-s without any. */
    private void print(Function<Duration, List<String>> poll) {
        PrintWriter out = spec.commandLine().getOut();
        long seen = 0;
        long idleSince = System.nanoTime();
        while (max == 0 || seen < max) {
            List<String> lines = poll.apply(Duration.ofMillis(500));
            for (String line : lines) {
                out.println(line);
                if (++seen == max) {
                    break;
                }
            }
            out.flush();
            if (!lines.isEmpty()) {
                idleSince = System.nanoTime();
            } else if (idleTimeoutSeconds > 0
                    && System.nanoTime() - idleSince > Duration.ofSeconds(idleTimeoutSeconds).toNanos()) {
                break;
            }
        }
    }

    static String format(DeadLetterReader.DeadLetter letter) {
        return String.format(Locale.ROOT, "%s  from %s-%s@%s (%d bytes): %s: %s", letter.key(), letter.sourceTopic(),
                letter.sourcePartition(), letter.sourceOffset(), letter.valueBytes(), letter.exception(),
                letter.message());
    }
}
