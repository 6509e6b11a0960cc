package io.memstream.registry;

/**
 * The registry could not be used at all: unreachable, timed out, HTTP 5xx or 429 after every retry,
 * a failed TLS handshake, or the caller was interrupted. Nothing is known about the record being
 * read or written, so callers must not blame it (no dead letter): the same call may work later.
 */
public class RegistryUnavailableException extends SchemaRegistryException {
    public RegistryUnavailableException(String message, int errorCode, Throwable cause) {
        super(message, errorCode, cause);
    }
}
