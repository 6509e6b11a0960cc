package io.memstream.model;

import java.util.List;

/**
 * How to continue one row: {@code temperature <= 0} is greedy; {@code topK == 0} and
 * {@code topP >= 1} turn those filters off; {@code stops} are UTF-8 byte strings.
 */
public record GenerationSpec(int maxNewTokens, float temperature, int topK, float topP, long seed,
                             List<byte[]> stops) {

    public GenerationSpec {
        stops = List.copyOf(stops);
    }
}
