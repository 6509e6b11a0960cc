package io.memstream.topology;

import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Streams' log-and-continue handler (which writes the dead-letter record with the reason, source
 * topic, partition and offset in headers, KIP-1033/1034), except that a fingerprint mismatch under
 * {@code fingerprint.mismatch=fail} stops the task.
 */
public class MemstreamProcessingExceptionHandler extends LogAndContinueProcessingExceptionHandler {

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (exception instanceof FingerprintMismatchException
                || exception.getCause() instanceof FingerprintMismatchException) {
            return Response.fail();
        }
        return super.handleError(context, record, exception);
    }
}
