package io.memstream.app;

import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.errors.TaskMigratedException;

/**
 * What a failed stream thread does to this instance. A transaction the broker ended or fenced
 * (after a broker restart, or when another instance took the tasks over) says nothing about this
 * instance's health: under exactly-once the open transaction is aborted and a replacement thread,
 * with a new producer, reads from the last commit again, so nothing is lost or doubled. Shutting
 * the whole instance down for it (seen in the crash test as exit 1 on {@link
 * InvalidTxnStateException}) only takes capacity away. Everything else (a failed model call, a
 * registry outage, a bug) shuts the instance down: a replacement thread would fail the same way.
 */
final class StreamThreadFailures {

    private StreamThreadFailures() {
    }

    static StreamThreadExceptionResponse responseTo(Throwable failure) {
        return transactional(failure) ? StreamThreadExceptionResponse.REPLACE_THREAD
                : StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    static boolean transactional(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof InvalidTxnStateException || t instanceof ProducerFencedException
                    || t instanceof InvalidProducerEpochException || t instanceof TransactionAbortedException
                    || t instanceof TaskMigratedException) {
                return true;
            }
            if (t.getCause() == t) {
                return false;
            }
        }
        return false;
    }
}
