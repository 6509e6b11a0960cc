package io.memstream.avro;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to instantiate classes named in a schema unless they are trusted (a guard
 * against schemas that name arbitrary classes). A generated record class chosen by our own code is
 * trusted by construction, so its class and the classes of the named types it contains are added to
 * Avro's global trust list here, on top of whatever the JVM's system properties allow.
 */
public final class TrustedAvroClasses {
    private static final Set<String> TRUSTED = ConcurrentHashMap.newKeySet();
    private static volatile boolean installed;

    private TrustedAvroClasses() {
    }

    /** Trusts the generated classes behind {@code schema}'s named records and enums, recursively. */
    public static void trust(Schema schema) {
        install();
        collect(schema, TRUSTED);
    }

    private static synchronized void install() {
        if (!installed) {
            ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
            ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous,
                    type -> TRUSTED.contains(type.getName())));
            installed = true;
        }
    }

    private static void collect(Schema schema, Set<String> names) {
        switch (schema.getType()) {
            case RECORD -> {
                if (names.add(schema.getFullName())) {
                    schema.getFields().forEach(field -> collect(field.schema(), names));
                }
            }
            case ENUM, FIXED -> names.add(schema.getFullName());
            case ARRAY -> collect(schema.getElementType(), names);
            case MAP -> collect(schema.getValueType(), names);
            case UNION -> schema.getTypes().forEach(member -> collect(member, names));
            default -> {
                // Primitive types name no class.
            }
        }
    }
}
