package io.memstream.registry;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * An in-process registry behind {@code mock://<scope>} URLs, for unit tests and the embedded demo only.
 * Every serde configured with the same scope in one JVM shares one registry. It follows the real
 * one where the serdes can tell: global ids (the same schema gets the same id in every subject),
 * versions per subject, and BACKWARD compatibility checked at registration.
 */
public final class MockSchemaRegistry implements SchemaRegistryClient {
    private static final Map<String, MockSchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    private final String scope;
    private final Map<Schema, Integer> idsBySchema = new HashMap<>();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<UUID, Schema> schemasByGuid = new HashMap<>();
    private final Map<String, List<Integer>> versionsBySubject = new HashMap<>();

    private MockSchemaRegistry(String scope) {
        this.scope = scope;
    }

    /** The registry of {@code scope}, created on first use. */
    public static MockSchemaRegistry forScope(String scope) {
        return SCOPES.computeIfAbsent(scope, MockSchemaRegistry::new);
    }

    /** Forgets everything registered in {@code scope} (between tests). */
    public static void dropScope(String scope) {
        SCOPES.remove(scope);
    }

    /** The GUID under which this registry also serves the schema with {@code id}. */
    public synchronized UUID guidOf(int id) {
        Schema schema = schemaById(id);
        return guid(schema);
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        Integer known = idsBySchema.get(schema);
        if (known != null && versions.contains(known)) {
            return known;
        }
        if (!versions.isEmpty() && !compatible(schema, schemasById.get(versions.get(versions.size() - 1)))) {
            throw new IncompatibleSchemaException("Schema being registered is incompatible with the latest version of "
                    + "subject '" + subject + "' (BACKWARD) in mock registry '" + scope + "'", 40901);
        }
        int id = known != null ? known : idsBySchema.size() + 1;
        idsBySchema.put(schema, id);
        schemasById.put(id, schema);
        schemasByGuid.put(guid(schema), schema);
        versions.add(id);
        return id;
    }

    @Override
    public synchronized RegisteredSchema lookup(String subject, Schema schema) {
        List<Integer> versions = versions(subject);
        Integer id = idsBySchema.get(schema);
        int index = id == null ? -1 : versions.indexOf(id);
        if (index < 0) {
            throw new SchemaNotFoundException("Schema not found under subject '" + subject + "' in mock registry '"
                    + scope + "'", 40403);
        }
        return new RegisteredSchema(subject, id, index + 1, schema);
    }

    @Override
    public synchronized Schema schemaById(int id) {
        Schema schema = schemasById.get(id);
        if (schema == null) {
            throw new SchemaNotFoundException("Schema id " + id + " not found in mock registry '" + scope + "'", 40403);
        }
        return schema;
    }

    @Override
    public synchronized Schema schemaByGuid(UUID guid) {
        Schema schema = schemasByGuid.get(guid);
        if (schema == null) {
            throw new SchemaNotFoundException("Schema GUID " + guid + " not found in mock registry '" + scope + "'",
                    40403);
        }
        return schema;
    }

    @Override
    public synchronized RegisteredSchema latest(String subject) {
        List<Integer> versions = versions(subject);
        int id = versions.get(versions.size() - 1);
        return new RegisteredSchema(subject, id, versions.size(), schemasById.get(id));
    }

    @Override
    public synchronized boolean isCompatibleWithLatest(String subject, Schema schema) {
        List<Integer> versions = versionsBySubject.get(subject);
        return versions == null || versions.isEmpty()
                || compatible(schema, schemasById.get(versions.get(versions.size() - 1)));
    }

    private List<Integer> versions(String subject) {
        List<Integer> versions = versionsBySubject.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw new SchemaNotFoundException("Subject '" + subject + "' not found in mock registry '" + scope + "'",
                    40401);
        }
        return versions;
    }

    /** BACKWARD: consumers using the new schema can read data written with the previous one. */
    private static boolean compatible(Schema newSchema, Schema previous) {
        return SchemaCompatibility.checkReaderWriterCompatibility(newSchema, previous).getType()
                == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
    }

    private static UUID guid(Schema schema) {
        return UUID.nameUUIDFromBytes(schema.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "MockSchemaRegistry[" + scope + "]";
    }
}
