package io.memstream.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Turns loggers down for commands whose output is meant for a person (the demo). */
final class LogLevels {
    private LogLevels() {
    }

    static void set(String logger, String level) {
        if (LoggerFactory.getLogger(logger) instanceof Logger logback) {
            logback.setLevel(Level.toLevel(level));
        }
    }
}
