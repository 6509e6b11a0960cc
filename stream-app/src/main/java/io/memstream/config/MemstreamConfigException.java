package io.memstream.config;

import java.util.List;

/** The configuration cannot start memstream; the message lists every problem found, one a line. */
public class MemstreamConfigException extends RuntimeException {
    private final List<String> problems;

    public MemstreamConfigException(List<String> problems) {
        super("invalid configuration:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
