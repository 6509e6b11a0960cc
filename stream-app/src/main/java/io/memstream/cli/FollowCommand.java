package io.memstream.cli;

import io.memstream.client.ContinuationReader;
import io.memstream.client.DeadLetterReader;
import io.memstream.config.MemstreamConfig;
import io.memstream.demo.ContinuationFormatter;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Prints continuations live as they are committed (all streams or one), as readable lines or JSON
 * lines; or the dead letters. Reads {@code read_committed}, so an aborted transaction never shows.
 */
@Command(name = "follow", aliases = "consume", mixinStandardHelpOptions = true,
        description = "Print continuations as they arrive (read_committed): all streams or --stream ID, from now or "
                + "--from-beginning, as text or --json lines; with --dead-letters, the records memstream rejected and why.")
final class FollowCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Option(names = "--stream", paramLabel = "ID", description = "Only this stream's continuations.")
    String streamId;

    @Option(names = "--from-beginning", description = "Start at the oldest continuation, not at the end.")
    boolean fromBeginning;

    @Option(names = "--json", description = "One JSON object a line (every field, with partition and offset).")
    boolean json;

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
                print(timeout -> reader.poll(timeout).stream()
                        .filter(letter -> streamId == null || streamId.equals(letter.key()))
                        .map(FollowCommand::format).toList());
            }
        } else {
            try (ContinuationReader reader = new ContinuationReader(config.registryConfigs(),
                    config.topology().outputTopic(), streamId, fromBeginning)) {
                print(timeout -> reader.poll(timeout).stream()
                        .filter(record -> streamId == null || Objects.equals(streamId, record.key()))
                        .map(record -> json ? ContinuationJson.format(record)
                                : ContinuationFormatter.format(record.value())).toList());
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
