package io.memstream.registry;

/** The registry rejected the schema itself, or sent one memstream cannot use (codes 42201, 422). */
public class InvalidSchemaException extends SchemaRegistryException {
    public InvalidSchemaException(String message, int errorCode) {
        super(message, errorCode);
    }
}
