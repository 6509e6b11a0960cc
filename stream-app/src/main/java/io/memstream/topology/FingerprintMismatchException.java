package io.memstream.topology;

/**
 * A stored memory was written by a different model and {@code fingerprint.mismatch=fail}: the task
 * must stop rather than run one model on another's state.
 */
public final class FingerprintMismatchException extends RuntimeException {

    FingerprintMismatchException(String streamId, String stored, String loaded) {
        super("memory of stream '" + streamId + "' was written by model " + stored + ", the loaded model is "
                + loaded + " (set " + TopologyConfig.FINGERPRINT_MISMATCH + "=reset to start such streams afresh)");
    }
}
