package io.memstream.registry;

import java.util.UUID;

/** How a record names its writer schema: a registry id (classic wire format) or a GUID (header form). */
public sealed interface SchemaId {

    /** The writer schema, fetched from (or cached by) {@code registry}. */
    org.apache.avro.Schema resolve(SchemaRegistryClient registry);

    record Numeric(int id) implements SchemaId {
        @Override
        public org.apache.avro.Schema resolve(SchemaRegistryClient registry) {
            return registry.schemaById(id);
        }

        @Override
        public String toString() {
            return "schema id " + id;
        }
    }

    record Guid(UUID guid) implements SchemaId {
        @Override
        public org.apache.avro.Schema resolve(SchemaRegistryClient registry) {
            return registry.schemaByGuid(guid);
        }

        @Override
        public String toString() {
            return "schema GUID " + guid;
        }
    }
}
