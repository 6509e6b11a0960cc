package io.memstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/** A benchmark's recorded command line names every option with the value it ran with, and reruns as the same. */
class RecordedCommandLineTest {

    private static List<String> recorded(String... args) {
        ParseResult parsed = new CommandLine(new Main()).parseArgs(args);
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        return RecordedCommandLine.of(parsed.commandSpec());
    }

    @Test
    void defaultsAreSpelledOutAndGivenValuesKept() {
        List<String> line = recorded("bench", "--threads", "1", "e2e", "--streams", "3", "--rate", "12.5",
                "-D", "batch.max.size=1", "-D", "commit.interval.ms=1000", "--broker-jvm");
        assertEquals(List.of("memstream", "bench", "--model"), line.subList(0, 3));
        assertTrue(Collections.indexOfSubList(line, List.of("--threads", "1", "e2e")) > 0, line.toString());
        assertTrue(Collections.indexOfSubList(line, List.of("--streams", "3", "--chunks", "8")) > 0, line.toString());
        assertTrue(Collections.indexOfSubList(line, List.of("--rate", "12.5")) > 0, line.toString());
        assertTrue(Collections.indexOfSubList(line, List.of("-D", "batch.max.size=1", "-D", "commit.interval.ms=1000")) > 0,
                line.toString());
        assertTrue(line.contains("--broker-jvm"), line.toString());
        assertEquals(List.of("--out", "bench/results/e2e.json"), line.subList(line.size() - 2, line.size()));
        assertFalse(line.contains("--help") || line.contains("--version"), line.toString());
    }

    @Test
    void flagsAppearOnlyWhenSetAndListsJoinAsTheyWereSplit() {
        List<String> line = recorded("bench", "engine", "--decode-batches", "2,4");
        assertFalse(line.contains("--step-only"), line.toString());
        assertTrue(Collections.indexOfSubList(line, List.of("--step-batches", "1,8,32,128", "--decode-batches", "2,4")) > 0,
                line.toString());
        assertTrue(Collections.indexOfSubList(line, List.of("--ort-spinning", "false")) > 0, line.toString());
        assertFalse(recorded("bench", "ort").contains("--global-pool-spin"), "an option without a value is left out");
        assertTrue(Collections.indexOfSubList(recorded("bench", "ort", "--global-pool-spin", "true"),
                List.of("--global-pool-spin", "true")) > 0);
    }

    @Test
    void theRecordedLineParsesBackToItself() {
        for (String[] args : List.of(
                new String[] {"bench", "--model", "models/tiny", "e2e", "--new-tokens", "4", "-D", "a=b"},
                new String[] {"bench", "engine", "--step-only", "--step-batches", "2"},
                new String[] {"bench", "pieces", "--rows", "0,2"},
                new String[] {"bench", "state", "--chunks", "4"})) {
            List<String> line = recorded(args);
            assertEquals(line, recorded(line.subList(1, line.size()).toArray(String[]::new)), String.join(" ", args));
        }
    }

    /** memstream's list options are split on commas; one given once per value is recorded so. */
    @Test
    void aRepeatedOptionIsRecordedOncePerValue() {
        CommandSpec command = CommandSpec.create().name("tool");
        command.addOption(OptionSpec.builder("--tag").type(List.class).auxiliaryTypes(String.class).build());
        command.addOption(OptionSpec.builder("--sizes").type(List.class).auxiliaryTypes(Integer.class).splitRegex(",").build());
        new CommandLine(command).parseArgs("--tag", "a", "--tag", "b", "--sizes", "1,2");
        assertEquals(List.of("tool", "--tag", "a", "--tag", "b", "--sizes", "1,2"), RecordedCommandLine.of(command));
    }
}
