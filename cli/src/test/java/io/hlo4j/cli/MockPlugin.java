package io.hlo4j.cli;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The runtime's C mock PJRT plugin, built by the runtime module's Maven build: {@code hlo4j.pjrt.mock}, else
 * {@code ../runtime/target/mock-pjrt/libpjrt_mock.so}. The one lookup for this module's tests. Absent, a test
 * that needs it is skipped on a developer's machine and fails under CI (where the runtime is always built).
 */
final class MockPlugin {
    private MockPlugin() {}

    /** Where the plugin should be, whether or not it is there. */
    static Path expected() {
        String p = System.getProperty("hlo4j.pjrt.mock");
        Path path = p != null ? Path.of(p) : Path.of("").toAbsolutePath().getParent().resolve("runtime/target/mock-pjrt/libpjrt_mock.so");
        return path.toAbsolutePath().normalize();
    }

    /** The plugin, or null when it is absent outside CI; under CI an absent plugin is an error. */
    static Path findOrNull() {
        Path path = expected();
        if (Files.isRegularFile(path)) return path;
        if (System.getenv("CI") != null) throw new IllegalStateException("mock PJRT plugin not built at " + path);
        return null;
    }

    /** The plugin; skips the calling test when it is absent outside CI. */
    static Path path() {
        Path path = findOrNull();
        if (path == null) Assumptions.abort("mock PJRT plugin not built at " + expected() + " (build the runtime module first)");
        return path;
    }
}
