package io.memstream.registry;

/** The subject, version or schema asked for does not exist (registry codes 40401, 40402, 40403). */
public class SchemaNotFoundException extends SchemaRegistryException {
    public SchemaNotFoundException(String message, int errorCode) {
        super(message, errorCode);
    }
}
