package io.memstream.cli;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into an orderly stop that the command itself finishes, so {@code run} can
 * close Kafka Streams and exit 0. The JVM's own handling runs shutdown hooks and exits 143 (128 +
 * signal), which container platforms and service managers report as a failure.
 */
final class StopSignals {
    private static final Logger log = LoggerFactory.getLogger(StopSignals.class);

    private StopSignals() {
    }

    /**
     * Runs {@code stop} on its own thread at the first TERM or INT signal; a second one ends the
     * process at once (exit 128 + signal), for an operator who will not wait for a close. Returns
     * false when the signals cannot be taken over here (then the JVM's shutdown hooks remain the
     * way out).
     */
    static boolean onStop(Runnable stop) {
        AtomicBoolean stopping = new AtomicBoolean();
        try {
            for (String name : new String[] {"TERM", "INT"}) {
                Signal.handle(new Signal(name), signal -> {
                    if (stopping.getAndSet(true)) {
                        log.warn("second SIG{}: exiting now, without closing", signal.getName());
                        Runtime.getRuntime().halt(128 + signal.getNumber());
                    }
                    log.info("SIG{} received: closing", signal.getName());
                    new Thread(stop, "memstream-stop").start();
                });
            }
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            log.warn("cannot handle stop signals ({}); relying on shutdown hooks", e.getMessage());
            return false;
        }
    }
}
