package io.memstream.cli;

import io.memstream.client.ContinuationReader;
import io.memstream.config.MemstreamConfig;
import io.memstream.demo.ContinuationFormatter;
import io.memstream.schema.Continuation;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints the continuations of the output topic, committed ones only. */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = "Print continuations from the output topic (read_committed), one line each.")
final class ConsumeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Option(names = "--from-beginning", description = "Start at the oldest continuation, not at the end.")
    boolean fromBeginning;

    @Option(names = "--max", defaultValue = "0", description = "Stop after this many (0: no limit).")
    long max;

    @Option(names = "--idle-timeout-s", defaultValue = "0",
            description = "Stop when nothing arrives for this long (0: wait forever).")
    long idleTimeoutSeconds;

    @Override
    public Integer call() {
        MemstreamConfig config = options.loadForClients();
        PrintWriter out = spec.commandLine().getOut();
        long seen = 0;
        long idleSince = System.nanoTime();
        try (ContinuationReader reader = new ContinuationReader(config.registryConfigs(),
                config.topology().outputTopic(), fromBeginning)) {
            while (max == 0 || seen < max) {
                var records = reader.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, Continuation> record : records) {
                    out.println(ContinuationFormatter.format(record.value()));
                    if (++seen == max) {
                        break;
                    }
                }
                out.flush();
                if (!records.isEmpty()) {
                    idleSince = System.nanoTime();
                } else if (idleTimeoutSeconds > 0
                        && System.nanoTime() - idleSince > Duration.ofSeconds(idleTimeoutSeconds).toNanos()) {
                    break;
                }
            }
        }
        return 0;
    }
}
