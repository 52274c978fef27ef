package io.hlo4j.mlir.parse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The StableHLO conformance files, read in place ({@code hlo4j.conformance.dir}, else ../shared/conformance). */
final class ConformanceFiles {
    private ConformanceFiles() {}

    static Path dir() {
        String p = System.getProperty("hlo4j.conformance.dir");
        if (p != null && Files.isDirectory(Path.of(p))) return Path.of(p);
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path c = d.resolveSibling("shared").resolve("conformance");
            if (Files.isDirectory(c)) return c;
        }
        throw new IllegalStateException("conformance files not found: set -Dhlo4j.conformance.dir");
    }

    static List<Path> all() {
        try (Stream<Path> s = Files.walk(dir())) {
            return s.filter(f -> f.toString().endsWith(".mlir")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
