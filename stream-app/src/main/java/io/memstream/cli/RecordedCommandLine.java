package io.memstream.cli;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The command line that runs a parsed command again: the command, its parents, and every option of
 * each with the value it ran with, defaults included. A benchmark records it in its JSON, so the
 * result says what was measured even after a default changes, and bench/repeat.sh reruns it as is.
 * Read from picocli's model, so an option added to a command is recorded without further code.
 */
final class RecordedCommandLine {

    private RecordedCommandLine() { }

    static List<String> of(CommandSpec command) {
        Deque<CommandSpec> chain = new ArrayDeque<>();
        for (CommandSpec c = command; c != null; c = c.parent()) {
            chain.addFirst(c);
        }
        List<String> words = new ArrayList<>();
        for (CommandSpec c : chain) {
            words.add(c.name());
            c.options().forEach(option -> words.addAll(words(option)));
        }
        return words;
    }

    private static List<String> words(OptionSpec option) {
        Object value = option.getValue();
        if (option.usageHelp() || option.versionHelp() || value == null) {
            return List.of();
        }
        String name = option.longestName();
        List<String> words = new ArrayList<>();
        if (value instanceof Map<?, ?> entries) { // -D key=value, once per entry
            entries.forEach((k, v) -> words.addAll(List.of(name, k + "=" + v)));
        } else if (value instanceof Collection<?> values && !option.splitRegex().isEmpty()) {
            if (!values.isEmpty()) {
                words.addAll(List.of(name, String.join(",", values.stream().map(String::valueOf).toList())));
            }
        } else if (value instanceof Collection<?> values) {
            values.forEach(v -> words.addAll(List.of(name, String.valueOf(v))));
        } else if (value instanceof Boolean on && option.arity().max() == 0) { // a flag: present or not
            if (on) {
                words.add(name);
            }
        } else {
            words.addAll(List.of(name, String.valueOf(value)));
        }
        return words;
    }
}
