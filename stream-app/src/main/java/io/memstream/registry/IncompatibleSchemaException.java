package io.memstream.registry;

/** The schema breaks the subject's compatibility rule (registry code 40901). */
public class IncompatibleSchemaException extends SchemaRegistryException {
    public IncompatibleSchemaException(String message, int errorCode) {
        super(message, errorCode);
    }
}
