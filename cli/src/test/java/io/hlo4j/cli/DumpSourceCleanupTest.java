package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --classpath Model.java} compiles into a temporary folder, removed when the command ends and also when the
 * process is stopped before (SIGTERM, as a CI timeout or {@code kill} sends): a real {@code hlo4j dump} process, with its
 * own temporary directory, is stopped while the user's loss() sleeps, and the folder must be gone.
 */
class DumpSourceCleanupTest {
    static final String SLOW = """
            package com.example;

            import io.hlo4j.dsl.jit.TracedFunction;
            import java.nio.file.Files;
            import java.nio.file.Path;

            public final class Slow implements io.hlo4j.examples.Example {
                @Override public String name() { return "slow"; }
                @Override public Object params() { return java.util.List.of(); }
                @Override public java.util.List<Object> batch() { return java.util.List.of(); }
                @Override public TracedFunction loss() {
                    try {
                        Files.writeString(Path.of(System.getProperty("hlo4j.test.marker")), "tracing");
                        Thread.sleep(600_000);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return null;
                }
            }
            """;

    @Test void theCompiledClassesGoWhenTheProcessIsStopped(@TempDir Path dir) throws Exception {
        Path src = Files.writeString(dir.resolve("Slow.java"), SLOW);
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path marker = dir.resolve("marker");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + tmp,
                "-Dhlo4j.test.marker=" + marker, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "dump", "--class", "com.example.Slow", "--classpath", src.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (!Files.exists(marker) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(100);
            assertThat(marker).as(Files.readString(dir.resolve("log"))).exists();
            assertThat(compiledFolders(tmp)).hasSize(1);           // the sources compiled, the loss running
            p.destroy();                                           // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(compiledFolders(tmp)).as("left behind in " + tmp).isEmpty();
        } finally {
            p.destroyForcibly();
        }
    }

    private static List<Path> compiledFolders(Path tmp) throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.filter(f -> f.getFileName().toString().startsWith("hlo4j-classes")).toList();
        }
    }
}
