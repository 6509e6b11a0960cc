package io.memstream.model;

import java.util.Arrays;

/**
 * A tensor in Java memory, float32 or int64, row-major; what crosses the boundary to the graphs.
 * Exactly one of {@code floats} and {@code longs} is set.
 */
public record HostTensor(long[] shape, float[] floats, long[] longs) {

    public static HostTensor of(float[] data, long... shape) {
        return new HostTensor(shape, data, null);
    }

    public static HostTensor of(long[] data, long... shape) {
        return new HostTensor(shape, null, data);
    }

    public boolean isFloat() {
        return floats != null;
    }

    @Override
    public String toString() {
        return (isFloat() ? "float32" : "int64") + Arrays.toString(shape);
    }
}
