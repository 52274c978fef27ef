package io.hlo4j.mlir.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * StableHLO's conformance files, read in place (never copied into the repo): {@code hlo4j.conformance.dir}
 * (surefire sets it), else {@code shared/conformance} beside {@code hlo4j.root} or beside any folder above the
 * working directory. The one lookup for all of this module's tests.
 */
public final class ConformanceFiles {
    private ConformanceFiles() {}

    public static Path dir() {
        String prop = System.getProperty("hlo4j.conformance.dir");
        if (prop != null && !prop.isBlank() && Files.isDirectory(Path.of(prop))) return Path.of(prop);
        List<Path> tried = new ArrayList<>();
        String root = System.getProperty("hlo4j.root");
        if (root != null && !root.isBlank()) tried.add(Path.of(root).toAbsolutePath().resolveSibling("shared").resolve("conformance"));
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) tried.add(d.resolveSibling("shared").resolve("conformance"));
        for (Path c : tried) if (Files.isDirectory(c)) return c.normalize();
        throw new IllegalStateException("conformance files not found: set -Dhlo4j.conformance.dir (tried " + tried + ")");
    }

    /** Every {@code .mlir} file below the conformance folder, sorted. */
    public static List<Path> all() { return mlirFilesUnder(dir()); }

    /** The {@code .mlir} files below {@code sub} (relative to the conformance folder), sorted. */
    public static List<Path> files(String sub) { return mlirFilesUnder(dir().resolve(sub)); }

    public static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> mlirFilesUnder(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(f -> f.toString().endsWith(".mlir")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
