package io.memstream.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Finds the committed model directories (models/*) from the repository root given by surefire. */
public final class TestModels {

    private TestModels() { }

    public static Path repoRoot() {
        String root = System.getProperty("memstream.repo.root");
        if (root == null) {
            throw new IllegalStateException("system property memstream.repo.root is not set (surefire sets it)");
        }
        return Path.of(root).toAbsolutePath().normalize();
    }

    /** Every directory under models/ with a manifest; fails when there is none. */
    public static List<Path> all() {
        Path models = repoRoot().resolve("models");
        try (Stream<Path> dirs = Files.list(models)) {
            List<Path> found = dirs.filter(d -> Files.isRegularFile(d.resolve("manifest.json"))).sorted().toList();
            if (found.isEmpty()) {
                throw new IllegalStateException("no model directory with a manifest.json under " + models);
            }
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + models, e);
        }
    }

    public static Path tiny() {
        return repoRoot().resolve("models/tiny");
    }

    /** A copy of model directory {@code src} at {@code dst}, for a test that changes its files. */
    public static Path copy(Path src, Path dst) throws IOException {
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : files.sorted().toList()) {
                Path target = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return dst;
    }

    private static ModelRuntime shared;

    /** The tiny model, loaded once per test JVM (one model per JVM, as in the app). */
    public static synchronized ModelRuntime tinyRuntime() {
        if (shared == null) {
            shared = ModelRuntime.load(tiny(), DeviceChoice.CPU, 1);
        }
        return shared;
    }
}
