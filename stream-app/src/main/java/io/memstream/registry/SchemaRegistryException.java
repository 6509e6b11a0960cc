package io.memstream.registry;

/**
 * A failed registry call. {@link #errorCode()} is the registry's own code (for example 40403) when
 * it sent one, else the HTTP status, else -1 for a failure to reach it at all.
 */
public class SchemaRegistryException extends RuntimeException {
    private final int errorCode;

    public SchemaRegistryException(String message, int errorCode) {
        this(message, errorCode, null);
    }

    public SchemaRegistryException(String message, int errorCode, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    public int errorCode() {
        return errorCode;
    }
}
