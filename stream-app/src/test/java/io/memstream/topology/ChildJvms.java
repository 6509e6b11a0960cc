package io.memstream.topology;

import io.memstream.embedded.BrokerProcess;
import io.memstream.model.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The separate JVMs of the reliability tests: a Kafka broker ({@link BrokerProcess}) and memstream
 * instances ({@link InstanceChildMain}), each started on this JVM's class path, killed with SIGKILL
 * and started again on the same data. Their output goes to log files under the work directory.
 */
final class ChildJvms {

    private ChildJvms() { }

    /**
     * Logback settings of the children: what a crash test needs to explain a stall (Streams' state
     * transitions and restoration, group membership, the broker's transaction coordinator) at INFO.
     */
    private static final String LOGBACK = """
            <configuration>
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <logger name="io.memstream" level="INFO"/>
              <logger name="org.apache.kafka.streams.KafkaStreams" level="INFO"/>
              <logger name="org.apache.kafka.streams.processor.internals.StreamThread" level="INFO"/>
              <logger name="org.apache.kafka.streams.processor.internals.DefaultStateUpdater" level="INFO"/>
              <logger name="org.apache.kafka.streams.processor.internals.StoreChangelogReader" level="INFO"/>
              <logger name="org.apache.kafka.clients.consumer.internals.ConsumerCoordinator" level="INFO"/>
              <logger name="kafka.coordinator" level="INFO"/>
              <logger name="org.apache.kafka.coordinator" level="INFO"/>
              <root level="WARN"><appender-ref ref="OUT"/></root>
            </configuration>
            """;

    /** The children's logback settings, written into {@code dir} once, as a JVM option. */
    private static String logbackOption(Path dir) throws IOException {
        Path logback = dir.resolve("logback-children.xml");
        if (!Files.exists(logback)) {
            Files.writeString(logback, LOGBACK);
        }
        return "-Dlogback.configurationFile=" + logback;
    }

    static Process java(String mainClass, List<String> jvmOptions, List<String> args, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(logbackOption(log.getParent()));
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /**
     * A one-node KRaft broker in its own JVM, with the children's logging, on ports fixed for its life:
     * killed and started again on the same data ({@link BrokerProcess}). {@code overrides}: server
     * settings replacing memstream's one-node ones (experiments only).
     */
    static BrokerProcess broker(Path dir, Map<String, String> overrides) throws IOException {
        Files.createDirectories(dir);
        return new BrokerProcess(dir, List.of(logbackOption(dir), "-Xmx512m", "-XX:+UseSerialGC"), overrides);
    }

    static BrokerProcess broker(Path dir) throws IOException {
        return broker(dir, Map.of());
    }

    /** One memstream instance ({@code memstream run}) on its own state directory, in its own JVM. */
    static final class Instance implements AutoCloseable {
        final String name;
        private final Path stateDir;
        private final Path log;
        private final List<String> args;
        private Process process;
        int starts;

        /** {@code settings}: run's -D settings besides the state directory. */
        Instance(String name, Path workDir, String registryScope, String input, String output,
                 Map<String, String> settings) throws IOException {
            this.name = name;
            this.stateDir = Files.createDirectories(workDir.resolve("state-" + name));
            this.log = workDir.resolve("instance-" + name + ".log");
            List<String> a = new ArrayList<>(List.of(registryScope, input, output, "run"));
            settings.forEach((k, v) -> {
                a.add("-D");
                a.add(k + "=" + v);
            });
            a.add("-D");
            a.add("state.dir=" + stateDir);
            this.args = a;
        }

        void start() throws IOException {
            Files.writeString(log, "==== start " + (++starts) + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            process = java(InstanceChildMain.class.getName(), List.of("-Xmx384m",
                    "-Dmemstream.repo.root=" + TestModels.repoRoot()), args, log);
        }

        boolean alive() {
            return process != null && process.isAlive();
        }

        long pid() {
            return process.pid();
        }

        Integer exitCode() {
            return process == null || process.isAlive() ? null : process.exitValue();
        }

        void kill() throws InterruptedException {
            BrokerProcess.kill(process);
        }

        /** SIGSTOP: the JVM freezes where it is, sending nothing, until {@link #resume}. */
        void pause() throws IOException, InterruptedException {
            signal("STOP");
        }

        /** SIGCONT after {@link #pause}. */
        void resume() throws IOException, InterruptedException {
            signal("CONT");
        }

        private void signal(String name) throws IOException, InterruptedException {
            if (!alive()) {
                return;
            }
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: "
                        + new String(kill.getInputStream().readAllBytes()));
            }
        }

        Path log() {
            return log;
        }

        String logTail(int lines) {
            try {
                List<String> all = Files.readAllLines(log);
                return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
            } catch (IOException e) {
                return "(" + e + ")";
            }
        }

        /** SIGTERM: memstream closes cleanly (commit, leave the group); SIGKILL after 60 s. */
        @Override
        public void close() {
            BrokerProcess.stop(process, Duration.ofSeconds(60));
        }
    }
}
