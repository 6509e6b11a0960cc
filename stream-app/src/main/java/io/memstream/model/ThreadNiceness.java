package io.memstream.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the CPU priority (the nice value) of the thread that calls it: the model's threads call it
 * as they start ({@code model.threads.nice}), so that the threads that feed the model (the stream
 * thread, Kafka's client and, in the benchmarks, broker threads) run as soon as they wake instead
 * of waiting behind a model call. They use a fraction of a core and give it back at once, so the
 * model loses next to no time to them; what it gains is a stream thread that applies and prepares
 * batches, commits and fetches without delay. Measured end to end on 2 cores (docs/PERFORMANCE.md,
 * "Run P"): commits took 5.2-6.4 ms instead of 7.0-10.3, the model's calls 22-27 ms instead of
 * 24-30, and the warm run's ratio to the engine alone was 0.83-0.86 against 0.73-0.77, alternating
 * three times.
 *
 * <p>Linux keeps a nice value per thread, and a thread may always lower its own priority, with no
 * privilege. Elsewhere (or without /proc or the C library) nothing changes, and the first failure is
 * logged. The engine alone runs on the same threads; with nothing else asking for the cores, a nice
 * value changes nothing there.
 */
public final class ThreadNiceness {

    private static final Logger log = LoggerFactory.getLogger(ThreadNiceness.class);
    /** setpriority(2)'s {@code which} for one process, which on Linux is one thread when given a thread id. */
    private static final int PRIO_PROCESS = 0;
    /** The highest nice value (the lowest priority) Linux takes. */
    public static final int MAX_NICE = 19;
    /** /proc/[tid]/stat's field of the nice value, counted from 1. */
    private static final int STAT_NICE_FIELD = 19;
    private static final AtomicBoolean FAILURE_LOGGED = new AtomicBoolean();

    /** The part of the C library used here. */
    private interface LibC extends Library {
        int setpriority(int which, int who, int prio);
    }

    /** Loaded on first use, so that a machine without it fails there (logged), not when the class loads. */
    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    private ThreadNiceness() {
    }

    /**
     * Sets the calling thread's nice value to {@code nice} (0 to {@link #MAX_NICE}); 0 leaves the
     * thread as it is. True when the value was set.
     */
    public static boolean lowerCurrentThread(int nice) {
        if (nice < 0 || nice > MAX_NICE) {
            throw new IllegalArgumentException("a nice value from 0 to " + MAX_NICE + ", got " + nice);
        }
        if (nice == 0) {
            return false;
        }
        OptionalInt tid = currentThreadId();
        if (tid.isEmpty()) {
            logFailureOnce("this system has no /proc/thread-self");
            return false;
        }
        try {
            if (Holder.LIBC.setpriority(PRIO_PROCESS, tid.getAsInt(), nice) != 0) {
                logFailureOnce("setpriority failed with errno " + Native.getLastError());
                return false;
            }
            return true;
        } catch (LinkageError | RuntimeException e) {
            logFailureOnce("the C library's setpriority is not reachable (" + e + ")");
            return false;
        }
    }

    /** The calling thread's id in the kernel (Linux), from /proc/thread-self, which links to {@code <pid>/task/<tid>}. */
    static OptionalInt currentThreadId() {
        try {
            Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            return OptionalInt.of(Integer.parseInt(link.getFileName().toString()));
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** The calling thread's nice value as the kernel reports it, or empty where there is no /proc. */
    public static OptionalInt currentNice() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"), StandardCharsets.US_ASCII);
            // The command name (field 2) is in parentheses and may hold spaces: count from after it.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return OptionalInt.of(Integer.parseInt(fields[STAT_NICE_FIELD - 3]));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    private static void logFailureOnce(String why) {
        if (FAILURE_LOGGED.compareAndSet(false, true)) {
            log.warn("cannot lower the model threads' CPU priority (model.threads.nice): {}; they run at the"
                    + " process's priority", why);
        }
    }
}
