package io.memstream.topology;

/**
 * A batched model call failed. Not a bad record (the chunks stay queued in the changelogged pending
 * stores), so it stops the task instead of sending the record being processed to the dead-letter
 * topic; the batch is retried when the task restarts.
 */
public final class BatchFailedException extends RuntimeException {

    BatchFailedException(Throwable cause) {
        super("batched model call failed: " + cause.getMessage(), cause);
    }
}
