package io.memstream.registry;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;

/**
 * Says in words why records of a writer schema cannot be read with a reader schema, naming the
 * fields, for the dead-letter reason (Avro's own read error says only "Found string, expecting long").
 */
final class SchemaMismatch {
    private SchemaMismatch() {
    }

    /** The incompatibilities, e.g. {@code field seq: reader type: LONG not compatible with writer type: STRING}; empty if none. */
    static String describe(Schema reader, Schema writer) {
        List<String> problems = new ArrayList<>();
        for (Incompatibility incompatibility : SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
                .getResult().getIncompatibilities()) {
            problems.add(fieldPath(reader, incompatibility.getLocation()) + ": " + incompatibility.getMessage());
        }
        return String.join("; ", problems);
    }

    /** Turns Avro's location ({@code /fields/1/type}) into field names ({@code field seq}). */
    private static String fieldPath(Schema reader, String location) {
        List<String> names = new ArrayList<>();
        Schema current = reader;
        String[] parts = location.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            if (parts[i].equals("fields") && current.getType() == Schema.Type.RECORD && parts[i + 1].matches("\\d+")) {
                int index = Integer.parseInt(parts[i + 1]);
                if (index >= current.getFields().size()) {
                    break;
                }
                Schema.Field field = current.getFields().get(index);
                names.add(field.name());
                current = field.schema();
            }
        }
        return names.isEmpty() ? "schema " + location : "field " + String.join(".", names);
    }
}
