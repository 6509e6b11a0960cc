package io.memstream.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Counts what the broker has acknowledged while {@code publish} runs and shows it: a bar redrawn in
 * place on a terminal (bytes, chunks/s, ETA), or a plain line every few seconds when the output is
 * a file or a pipe, where carriage returns would only make a mess. Called from the producer's thread.
 */
abstract class PublishProgress {
    /** How progress is shown: auto picks a bar on a terminal and lines otherwise. */
    enum Mode { AUTO, BAR, LINES, NONE }

    private final long totalBytes;
    private final long totalChunks;
    private final long startNanos = System.nanoTime();
    private long bytes;
    private long chunks;

    PublishProgress(long totalBytes, long totalChunks) {
        this.totalBytes = totalBytes;
        this.totalChunks = totalChunks;
    }

    static PublishProgress create(Mode mode, PrintWriter out, PrintWriter terminal, long totalBytes, long totalChunks) {
        Mode chosen = mode == Mode.AUTO ? (System.console() != null ? Mode.BAR : Mode.LINES) : mode;
        return switch (chosen) {
            case BAR -> new Bar(terminal, totalBytes, totalChunks);
            case LINES -> new Lines(out, totalBytes, totalChunks, 2_000_000_000L);
            default -> new PublishProgress(totalBytes, totalChunks) {
                @Override
                void show(boolean done) {
                }
            };
        };
    }

    synchronized void acknowledged(long chunkBytes) {
        bytes += chunkBytes;
        chunks++;
        show(chunks == totalChunks);
    }

    /** Draws the current state; {@code done} once, after the last acknowledgement. */
    abstract void show(boolean done);

    long bytes() {
        return bytes;
    }

    long chunks() {
        return chunks;
    }

    double seconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    long nanosSinceStart() {
        return System.nanoTime() - startNanos;
    }

    /** "1.2 MB of 2.5 MB, 300/620 chunks, 410 chunks/s, ETA 3 s". */
    String figures() {
        double seconds = Math.max(seconds(), 1e-3);
        double chunksPerSecond = chunks / seconds;
        double bytesPerSecond = bytes / seconds;
        String eta = bytes >= totalBytes ? "done" : bytesPerSecond <= 0 ? "ETA ?"
                : String.format(Locale.ROOT, "ETA %s", duration((totalBytes - bytes) / bytesPerSecond));
        return String.format(Locale.ROOT, "%s of %s, %d/%d chunks, %.0f chunks/s, %s", size(bytes), size(totalBytes),
                chunks, totalChunks, chunksPerSecond, eta);
    }

    double fraction() {
        return totalBytes == 0 ? 1.0 : Math.min(1.0, (double) bytes / totalBytes);
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s < 60 ? s + " s" : String.format(Locale.ROOT, "%d:%02d min", s / 60, s % 60);
    }

    /** A bar redrawn on one line of the terminal, at most ten times a second. */
    static final class Bar extends PublishProgress {
        private static final int WIDTH = 30;
        private final PrintWriter terminal;
        private long lastDrawNanos = -1;

        Bar(PrintWriter terminal, long totalBytes, long totalChunks) {
            super(totalBytes, totalChunks);
            this.terminal = terminal;
        }

        @Override
        void show(boolean done) {
            long now = nanosSinceStart();
            if (!done && lastDrawNanos >= 0 && now - lastDrawNanos < 100_000_000L) {
                return;
            }
            lastDrawNanos = now;
            int filled = (int) Math.round(fraction() * WIDTH);
            terminal.print("\r[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] "
                    + String.format(Locale.ROOT, "%3.0f%% ", fraction() * 100) + figures() + "   ");
            if (done) {
                terminal.println();
            }
            terminal.flush();
        }
    }

    /** A plain line now and then (and at the end), for logs and pipes. */
    static final class Lines extends PublishProgress {
        private final PrintWriter out;
        private final long everyNanos;
        private long lastLineNanos = -1;

        Lines(PrintWriter out, long totalBytes, long totalChunks, long everyNanos) {
            super(totalBytes, totalChunks);
            this.out = out;
            this.everyNanos = everyNanos;
        }

        @Override
        void show(boolean done) {
            long now = nanosSinceStart();
            if (!done && lastLineNanos >= 0 && now - lastLineNanos < everyNanos) {
                return;
            }
            lastLineNanos = now;
            out.println("published " + figures());
            out.flush();
        }
    }
}
