package io.memstream.cli;

import io.memstream.app.ProcessorApp;
import io.memstream.config.MemstreamConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Runs the processor against a real cluster until stopped (SIGTERM, Ctrl-C: Streams closed, exit 0)
 * or a fatal error (exit 1).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the memstream processor (configuration: file, MEMSTREAM_* environment, -D key=value) "
                + "until SIGTERM or Ctrl-C (clean close, exit 0) or a fatal error (exit 1).")
final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws Exception {
        MemstreamConfig config = options.load();
        AtomicBoolean stopRequested = new AtomicBoolean();
        AtomicReference<ProcessorApp> started = new AtomicReference<>();
        Runnable stop = () -> {
            stopRequested.set(true);
            ProcessorApp running = started.get();
            if (running != null) {
                running.close();
            } else {
                log.info("stop requested while starting: closing as soon as the start is done");
            }
        };
        // Signals are taken over before the start: a stop that arrives while the model loads (in
        // ONNX Runtime's native code) or the cluster is checked waits for the start and then closes,
        // where the JVM's own handling exited under native code (seen: a SIGSEGV in ONNX Runtime).
        // A signal closes the app; the main thread below sees Streams stop and returns 0.
        StopSignals.onStop(stop);
        // Any other way the JVM goes down (System.exit elsewhere, a signal not taken over) still closes Streams.
        Thread closer = new Thread(stop, "memstream-shutdown");
        Runtime.getRuntime().addShutdownHook(closer);
        ProcessorApp app = ProcessorApp.start(config);
        started.set(app);
        if (stopRequested.get()) {
            // Asked to stop during the start; close here (a stop that saw the app closes it as well).
            app.close();
            removeHook(closer);
            return 0;
        }
        while (!app.awaitStopped(Duration.ofMinutes(10))) {
            // Nothing to do but wait: Streams works on its own threads.
        }
        if (stopRequested.get()) {
            app.close(); // waits for a close that a signal started on another thread
            removeHook(closer);
            return 0;
        }
        // Streams stopped by itself: a fatal error, already logged by the app.
        removeHook(closer);
        app.close();
        return 1;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The JVM is already exiting; the hook finishes the close.
        }
    }
}
