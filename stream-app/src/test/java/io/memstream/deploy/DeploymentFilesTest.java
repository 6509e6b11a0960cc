package io.memstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.memstream.model.TestModels;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: {@code docker-compose config}
 * (Debian's docker-compose parses and validates a file with no engine) must accept the file, and its
 * normalized form must hold what the deployment promises.
 */
class DeploymentFilesTest {
    private static final Path ROOT = TestModels.repoRoot();

    @Test
    void composeFileIsValidAndRunsTwoInstancesOfOneAppOnAKraftBroker() throws Exception {
        assumeTrue(onPath("docker-compose"), "docker-compose is not installed (Debian: apt-get install docker-compose); "
                + "the compose file was not validated");
        Result quiet = dockerCompose("config", "-q");
        assertEquals(0, quiet.exit(), "docker-compose config -q:\n" + quiet.output());

        Result services = dockerCompose("config", "--services");
        assertEquals(0, services.exit(), services.output());
        for (String service : List.of("kafka", "schema-registry", "topics", "memstream-1", "memstream-2", "publisher")) {
            assertTrue(services.output().lines().anyMatch(service::equals), "service " + service + " in\n" + services.output());
        }

        Result normalized = dockerCompose("config");
        assertEquals(0, normalized.exit(), normalized.output());
        Map<String, String> blocks = serviceBlocks(normalized.output());
        assertTrue(blocks.get("kafka").contains("KAFKA_PROCESS_ROLES: broker,controller"), "a KRaft broker");

        String one = blocks.get("memstream-1");
        String two = blocks.get("memstream-2");
        assertEquals(value(one, "MEMSTREAM_APPLICATION_ID"), value(two, "MEMSTREAM_APPLICATION_ID"), "one application id");
        assertNotEquals(value(one, "MEMSTREAM_APPLICATION_SERVER"), value(two, "MEMSTREAM_APPLICATION_SERVER"),
                "each instance reachable at its own address");
        assertEquals("memstream-1:9464", value(one, "MEMSTREAM_APPLICATION_SERVER"));
        assertEquals("memstream-2:9464", value(two, "MEMSTREAM_APPLICATION_SERVER"));
        assertEquals("'1'", value(one, "MEMSTREAM_NUM_STANDBY_REPLICAS"), "a standby copy for hand-over");
        assertEquals(value(one, "MEMSTREAM_SCHEMA_REGISTRY_URL"), "http://schema-registry:8081");

        Matcher input = Pattern.compile("memstream\\.chunks:(\\d+)").matcher(blocks.get("topics"));
        assertTrue(input.find(), "the topics service creates the input topic");
        assertTrue(Integer.parseInt(input.group(1)) >= 2, "at least one input partition per instance");

        assertTrue(blocks.get("publisher").contains("- publish"), "the one-shot publisher publishes");
        assertTrue(blocks.get("publisher").contains("restart: 'no'") || blocks.get("publisher").contains("restart: \"no\"")
                || blocks.get("publisher").contains("restart: no"), blocks.get("publisher"));

        Matcher published = Pattern.compile("(?m)^\\s+- (\\S+):\\d+:\\d+/tcp$").matcher(normalized.output());
        int ports = 0;
        while (published.find()) {
            ports++;
            assertEquals("127.0.0.1", published.group(1), "host ports on loopback only");
        }
        assertTrue(ports >= 4, "published ports found: " + ports);
    }

    @Test
    void dockerfileBuildsWithMavenAndRunsAsANonRootUserOnAJre() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("stream-app/Dockerfile"), StandardCharsets.UTF_8);
        List<String> from = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
        assertEquals(2, from.size(), "two stages: " + from);
        assertTrue(from.get(0).contains("jdk") && from.get(0).contains(" AS build"), from.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("RUN ./mvnw ")), "built with the Maven wrapper");
        assertTrue(from.get(1).contains("jre"), "a JRE runtime: " + from.get(1));
        String user = lines.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElse("USER root");
        assertFalse(user.matches("USER (root|0)(:.*)?"), "runs as " + user);
    }

    /** The text of each service in the normalized compose file, by name. */
    private static Map<String, String> serviceBlocks(String config) {
        Map<String, String> blocks = new LinkedHashMap<>();
        boolean inServices = false;
        String current = null;
        StringBuilder block = new StringBuilder();
        for (String line : config.lines().toList()) {
            if (!line.startsWith(" ")) {
                inServices = line.equals("services:");
                continue;
            }
            if (!inServices) {
                continue;
            }
            if (line.matches("  [^ ].*:$")) {
                if (current != null) {
                    blocks.put(current, block.toString());
                }
                current = line.trim().replaceAll(":$", "");
                block = new StringBuilder();
            } else {
                block.append(line).append('\n');
            }
        }
        if (current != null) {
            blocks.put(current, block.toString());
        }
        return blocks;
    }

    private static String value(String block, String key) {
        Matcher m = Pattern.compile("(?m)^\\s+" + Pattern.quote(key) + ": (.*)$").matcher(block);
        assertTrue(m.find(), key + " in\n" + block);
        return m.group(1).trim();
    }

    private record Result(int exit, String output) { }

    private static Result dockerCompose(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("docker-compose", "-f", ROOT.resolve("docker-compose.yml").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        builder.environment().remove("MEMSTREAM_MODEL");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "docker-compose did not finish");
        return new Result(process.exitValue(), output);
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
