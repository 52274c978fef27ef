package io.hlo4j.dsltest;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The runtime's C mock PJRT plugin ({@code ../runtime/target/mock-pjrt/libpjrt_mock.so}, built by the runtime
 * module's Maven build): the one lookup for this module's tests. Absent, the calling test is skipped on a
 * developer's machine and fails under CI (where the runtime is always built).
 */
public final class MockPlugin {
    private MockPlugin() {}

    public static Path path() {
        Path path = Path.of("").toAbsolutePath().getParent().resolve("runtime/target/mock-pjrt/libpjrt_mock.so").normalize();
        if (!Files.isRegularFile(path)) {
            if (System.getenv("CI") != null) throw new IllegalStateException("mock PJRT plugin not built at " + path);
            Assumptions.abort("mock PJRT plugin not built at " + path + " (build the runtime module first)");
        }
        return path;
    }
}
