package io.memstream.model;

import java.util.Locale;

/** Where the graphs run: {@code cpu}, {@code gpu} (fail at start if CUDA cannot be used), or {@code auto}. */
public enum DeviceChoice {
    CPU, GPU, AUTO;

    public static DeviceChoice parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("device must be cpu, gpu or auto, got '" + value + "'");
        }
    }
}
