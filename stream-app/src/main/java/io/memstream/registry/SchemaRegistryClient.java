package io.memstream.registry;

import java.util.UUID;
import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry API that memstream's serdes need.
 * Implementations cache what never changes (ids and the schemas behind them), so the hot path of a
 * serde asks the network only once per schema.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** Finds {@code schema} among the versions of {@code subject}; fails if it was never registered there. */
    RegisteredSchema lookup(String subject, Schema schema);

    /** The schema with this global id. */
    Schema schemaById(int id);

    /** The schema with this GUID, as newer producers put it in a {@code __value_schema_id} header. */
    Schema schemaByGuid(UUID guid);

    /** The latest version registered under {@code subject}. */
    RegisteredSchema latest(String subject);

    /** Whether {@code schema} may be registered as the next version of {@code subject}, by the subject's rules. */
    boolean isCompatibleWithLatest(String subject, Schema schema);

    @Override
    default void close() {
    }
}
