package io.memstream.registry;

/** The registry refused the credentials (HTTP 401) or the operation (HTTP 403). */
public class RegistryAccessDeniedException extends SchemaRegistryException {
    public RegistryAccessDeniedException(String message, int errorCode) {
        super(message, errorCode);
    }
}
