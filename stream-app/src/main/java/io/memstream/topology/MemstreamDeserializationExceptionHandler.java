package io.memstream.topology;

import io.memstream.registry.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;

/**
 * Streams' log-and-continue handler for records that cannot be read: bytes that are not the wire
 * format, an unknown schema id, truncated Avro, a writer schema the reader cannot resolve, or an
 * oversized value become dead letters with the reason (KIP-1034). One case stops the task instead: the
 * schema registry itself failed (unreachable after every retry, 5xx, refused credentials). That says
 * nothing about the record, which would otherwise be dead-lettered although it is fine; stopping
 * leaves its offset uncommitted, so it is read again once the registry is back.
 */
public class MemstreamDeserializationExceptionHandler extends LogAndContinueExceptionHandler {

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                                Exception exception) {
        if (SchemaRegistryException.isRegistrysFault(exception)) {
            return Response.fail();
        }
        return super.handleError(context, record, exception);
    }

    /** True when a deserialization failed because of the registry rather than the record. */
    static boolean registryOutage(Throwable e) {
        return SchemaRegistryException.isRegistrysFault(e);
    }
}
