package io.memstream.app;

/**
 * The environment is not ready for memstream to start (broker or registry unreachable, input topic
 * missing, state directory not writable). The message says what to fix; a stack trace would not
 * help, so none is filled in.
 */
public final class StartupCheckException extends RuntimeException {

    public StartupCheckException(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
