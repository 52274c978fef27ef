package io.hlo4j.cli.launcher;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * A scratch checkout that runs the real {@code ./hlo4j}: the launcher and the scripts it sources, copied;
 * {@code cli/target/hlo4j-cli.jar} and {@code cli/target/lib/*.jar} made from this build's classes and jars (the
 * tests run before Maven's package phase); and a JDK whose {@code bin/java} logs how it was started before running
 * this test's one. Shared by the launcher tests.
 */
final class LauncherCheckout {
    private LauncherCheckout() {}

    /** What {@code ./hlo4j} runs and sources. */
    static final List<String> LAUNCHER_FILES = List.of("hlo4j", "scripts/jdk.sh", "scripts/aot.sh", "scripts/incubator.sh");

    /** The repository this build runs in (the tests run in {@code cli/}). */
    static Path repo() {
        return Path.of("..").toAbsolutePath().normalize();
    }

    /** Copies the launcher's files into {@code root}. */
    static void copyLauncher(Path root) throws IOException {
        Files.createDirectories(root.resolve("scripts"));
        for (String f : LAUNCHER_FILES) {
            Files.copy(repo().resolve(f), root.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    /** Writes {@code root/cli/target/hlo4j-cli.jar} and {@code lib/}: this build's modules and the CLI's dependencies. */
    static void jars(Path root) throws IOException {
        Path target = root.resolve("cli/target"), lib = target.resolve("lib");
        Files.createDirectories(lib);
        jar(repo().resolve("cli/target/classes"), target.resolve("hlo4j-cli.jar"));
        for (String module : List.of("mlir-dialects", "compiler", "runtime", "dsl", "examples")) {
            jar(repo().resolve(module).resolve("target/classes"), lib.resolve("hlo4j-" + module + ".jar"));
        }
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.endsWith(".jar") && Stream.of("picocli-", "jackson-", "antlr4-runtime-", "protobuf-java-").anyMatch(name::startsWith)) {
                Files.copy(Path.of(entry), lib.resolve(name));
            }
        }
    }

    /**
     * A JDK of links to this test's one (its release file copied, so it names the same modules) whose bin/java
     * appends its arguments, separated by U+0001, as one line to {@code log}, then runs the real one. When the
     * environment variable {@code LAUNCHER_TEST_FDS} names a file, it also appends there what its fds 0, 1 and 2
     * are (readlink), its {@code SigIgn} line of /proc/self/status and "ppid N", its parent: what java itself gets, since
     * it execs. Outside
     * the checkout, whose cleanup would warn about its links to the real JDK.
     */
    static Path loggingJdk(Path log) throws IOException {
        Path jdk = Files.createTempDirectory("hlo4j-logging-jdk");
        Path real = Path.of(System.getProperty("java.home"));
        Files.createDirectories(jdk.resolve("bin"));
        Files.copy(real.resolve("release"), jdk.resolve("release"));
        Files.createSymbolicLink(jdk.resolve("lib"), real.resolve("lib"));
        Files.createSymbolicLink(jdk.resolve("bin/javac"), real.resolve("bin/javac"));
        Path java = jdk.resolve("bin/java");
        Files.writeString(java, """
                #!/bin/sh
                (IFS=$(printf '\\001'); printf '%%s\\n' "$*") >> '%s'
                if [ -n "$LAUNCHER_TEST_FDS" ]; then
                    fds=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2; grep SigIgn /proc/$$/status; echo "ppid $PPID")
                    printf '%%s\\n' "$fds" >> "$LAUNCHER_TEST_FDS"
                fi
                exec '%s' "$@"
                """.formatted(log, real.resolve("bin/java")));
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return jdk;
    }

    /** Removes a JDK made by {@link #loggingJdk} (its links, never what they point at). */
    static void removeJdk(Path jdk) throws IOException {
        if (jdk == null) return;
        for (Path p : List.of(jdk.resolve("bin/java"), jdk.resolve("bin/javac"), jdk.resolve("bin"), jdk.resolve("lib"),
                jdk.resolve("release"), jdk)) {
            Files.deleteIfExists(p); // a link is removed, never followed
        }
    }

    /** A jar of the classes under {@code dir} (entries in a fixed order, so two runs make the same jar). */
    static void jar(Path dir, Path jar) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os, m);
             Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(dir.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }
}
