package io.memstream.registry;

import java.util.Map;

/** Picks the registry client a configuration asks for: in-process for {@code mock://}, REST otherwise. */
public final class SchemaRegistryClients {
    private SchemaRegistryClients() {
    }

    public static SchemaRegistryClient fromConfig(Map<String, ?> configs) {
        String url = RegistryClientConfig.string(configs, RegistryClientConfig.URL).orElse("");
        if (url.startsWith(RegistryClientConfig.MOCK_SCHEME)) {
            return MockSchemaRegistry.forScope(url.substring(RegistryClientConfig.MOCK_SCHEME.length()));
        }
        return new RestSchemaRegistryClient(RegistryClientConfig.from(configs));
    }
}
