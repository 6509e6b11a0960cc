package io.memstream.topology;

import io.memstream.registry.SchemaRegistryException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Streams' log-and-continue handler for bad records: it writes the dead-letter record with the
 * original bytes and the reason, source topic, partition and offset in headers (KIP-1033/1034), in
 * the transaction that commits the record's offset. Bad records are those {@link RecordDecoder}
 * cannot read (not the wire format, an unknown schema id, truncated Avro, a writer schema the reader
 * cannot resolve, invalid UTF-8, an oversized value) and those {@link MemoryProcessor} refuses.
 * Three cases stop the task instead:
 * <ul>
 *   <li>the schema registry itself failed (unreachable after every retry, 5xx, refused
 *       credentials): that says nothing about the record, which would otherwise be dead-lettered
 *       although it is fine; stopping leaves its offset uncommitted, so it is read again once the
 *       registry is back;</li>
 *   <li>a fingerprint mismatch under {@code fingerprint.mismatch=fail};</li>
 *   <li>a failed batch ({@link BatchFailedException}, or any failure inside a punctuation). That
 *       is not a bad record: the chunks are still queued in the changelogged pending stores, so the
 *       task retries them when it restarts, whereas continuing would send an innocent record to
 *       the dead-letter topic, or retry and fail at every punctuation.</li>
 * </ul>
 */
public class MemstreamProcessingExceptionHandler extends LogAndContinueProcessingExceptionHandler {

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (record == null || SchemaRegistryException.isRegistrysFault(exception) || fatal(exception)
                || fatal(exception.getCause())) {
            return Response.fail();
        }
        return super.handleError(context, record, exception);
    }

    private static boolean fatal(Throwable e) {
        return e instanceof FingerprintMismatchException || e instanceof BatchFailedException;
    }
}
