package io.memstream.topology;

import io.memstream.registry.RegistryAccessDeniedException;
import io.memstream.registry.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;

/**
 * Streams' log-and-continue handler for records that cannot be read (they go to the dead-letter
 * topic with the reason), except when the schema registry, not the record, is at fault: unreachable,
 * answering 5xx or 429 after the client's retries, or refusing memstream's credentials. Dead-lettering
 * then would throw away good records for as long as the outage lasts; failing stops the stream
 * thread instead (the app logs it and exits 1), the offsets stay uncommitted, and the records are read
 * again once the registry is back.
 */
public class MemstreamDeserializationExceptionHandler extends LogAndContinueExceptionHandler {

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        if (registryOutage(exception)) {
            return Response.fail();
        }
        return super.handleError(context, record, exception);
    }

    /** True when a deserialization failed because of the registry rather than the record. */
    static boolean registryOutage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RegistryAccessDeniedException) {
                return true;
            }
            if (t instanceof SchemaRegistryException r) {
                int code = r.errorCode();
                return code == -1 || code == 429 || code / 100 == 5 || code / 10_000 == 5;
            }
        }
        return false;
    }
}
