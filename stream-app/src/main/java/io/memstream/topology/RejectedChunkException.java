package io.memstream.topology;

/**
 * An input record the processor refuses (malformed, out of vocabulary, a gap under
 * {@code gap.policy=reject}). Thrown from {@code process()} before any store is touched, so Streams'
 * processing-exception handler sends the original bytes to the dead-letter topic with this message
 * as the reason.
 */
public final class RejectedChunkException extends RuntimeException {

    private final String reason;

    RejectedChunkException(String reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
    }

    /** A short, fixed label for metrics (for example {@code gap}, {@code bad-token}). */
    public String reason() {
        return reason;
    }

    /** Rejections are expected input errors: the message says it all, a stack trace would not. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
