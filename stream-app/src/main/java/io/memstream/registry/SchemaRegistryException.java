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

    /**
     * Whether {@code failure} (or one of its causes) says nothing about the record being read: the
     * registry was unavailable or refused our credentials. A record whose schema the registry does
     * not know, or knows as something other than Avro, is the record's fault; any other registry
     * error is treated as the registry's, so a good record is never dead-lettered for it.
     */
    public static boolean isRegistrysFault(Throwable failure) {
        for (Throwable e = failure; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof SchemaRegistryException registryFailure) {
                return !(registryFailure instanceof SchemaNotFoundException
                        || registryFailure instanceof InvalidSchemaException);
            }
        }
        return false;
    }
}
