package io.memstream.model;

/** A model that cannot be used: missing files, a manifest that does not match its graphs, no GPU. */
public class ModelLoadException extends RuntimeException {

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
