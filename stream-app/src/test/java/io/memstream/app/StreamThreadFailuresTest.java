package io.memstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.memstream.registry.RegistryUnavailableException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.errors.TaskMigratedException;
import org.junit.jupiter.api.Test;

class StreamThreadFailuresTest {

    @Test
    void anEndedOrFencedTransactionReplacesTheThread() {
        // as the crash test saw it after a broker restart: the commit's error wrapped by Streams
        assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, StreamThreadFailures.responseTo(
                new StreamsException("commit failed", new InvalidTxnStateException("transaction is not open"))));
        assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, StreamThreadFailures.responseTo(
                new StreamsException(new ProducerFencedException("fenced by a newer epoch"))));
        assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, StreamThreadFailures.responseTo(
                new TaskMigratedException("task moved")));
    }

    @Test
    void anyOtherFailureShutsTheInstanceDown() {
        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, StreamThreadFailures.responseTo(
                new StreamsException(new IllegalStateException("batched model call failed: ORT error"))));
        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, StreamThreadFailures.responseTo(
                new StreamsException(new RegistryUnavailableException("registry unreachable", -1, null))));
        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, StreamThreadFailures.responseTo(
                new OutOfMemoryError("native memory")));
    }
}
