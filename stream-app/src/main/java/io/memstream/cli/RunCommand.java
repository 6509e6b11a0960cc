package io.memstream.cli;

import io.memstream.app.ProcessorApp;
import io.memstream.config.MemstreamConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Runs the processor against a real cluster until stopped (Ctrl-C, SIGTERM) or a fatal error. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the memstream processor (configuration: file, MEMSTREAM_* environment, -D key=value).")
final class RunCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws Exception {
        MemstreamConfig config = options.load();
        ProcessorApp app = ProcessorApp.start(config);
        AtomicBoolean stopRequested = new AtomicBoolean();
        Thread closer = new Thread(() -> {
            stopRequested.set(true);
            app.close();
        }, "memstream-shutdown");
        Runtime.getRuntime().addShutdownHook(closer);
        while (!app.awaitStopped(Duration.ofMinutes(10))) {
            // Nothing to do but wait: Streams works on its own threads.
        }
        if (stopRequested.get()) {
            // The JVM is exiting; the hook finishes the close.
            closer.join();
            return 0;
        }
        // Streams stopped by itself: a fatal error, already logged by the app.
        Runtime.getRuntime().removeShutdownHook(closer);
        app.close();
        return 1;
    }
}
