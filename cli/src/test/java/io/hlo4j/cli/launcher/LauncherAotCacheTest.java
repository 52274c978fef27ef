package io.hlo4j.cli.launcher;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code ./hlo4j} launcher and its ahead-of-time cache ({@code scripts/aot.sh}), in a scratch checkout: the
 * launcher and its scripts copied, {@code cli/target/hlo4j-cli.jar} and {@code cli/target/lib/*.jar} made from this
 * build's classes and jars, and a JDK whose {@code bin/java} logs its arguments before running the real one (so the
 * test sees which cache each command was given). The commands' outputs with the cache are compared with
 * {@code HLO4J_AOT=0}'s, byte for byte but for the timings they print. The tests share one checkout and run in order:
 * the first command trains the cache in the background; a touched jar makes it stale.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LauncherAotCacheTest {
    /** How long a training run (demo and four short commands, then the cache's assembly) may take on a loaded machine. */
    private static final long TRAINING_DEADLINE_S = 300;

    @TempDir static Path root;
    private static Path javaLog;
    private static Path aotDir;

    /** The logging JDK: outside {@code root}, whose cleanup would warn about its links to the real JDK. */
    private static Path jdk;

    @AfterAll
    static void removeJdk() throws IOException {
        if (jdk == null) return;
        for (Path p : List.of(jdk.resolve("bin/java"), jdk.resolve("bin/javac"), jdk.resolve("bin"), jdk.resolve("lib"),
                jdk.resolve("release"), jdk)) {
            Files.deleteIfExists(p); // a link is removed, never followed
        }
    }

    @BeforeAll
    static void checkout() throws IOException {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Files.createDirectories(root.resolve("scripts"));
        for (String f : List.of("hlo4j", "scripts/jdk.sh", "scripts/aot.sh")) {
            Files.copy(repo.resolve(f), root.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path target = root.resolve("cli/target"), lib = target.resolve("lib");
        Files.createDirectories(lib);
        jar(repo.resolve("cli/target/classes"), target.resolve("hlo4j-cli.jar"));
        for (String module : List.of("mlir-dialects", "compiler", "runtime", "dsl", "examples")) {
            jar(repo.resolve(module).resolve("target/classes"), lib.resolve("hlo4j-" + module + ".jar"));
        }
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.endsWith(".jar") && Stream.of("picocli-", "jackson-", "antlr4-runtime-", "protobuf-java-").anyMatch(name::startsWith)) {
                Files.copy(Path.of(entry), lib.resolve(name));
            }
        }
        Path examples = root.resolve("docs/examples"); // the files the training runs on
        Files.createDirectories(examples);
        for (String f : List.of("add.mlir", "global-dot-inputs.mlir", "bad.mlir")) {
            Files.copy(repo.resolve("docs/examples").resolve(f), examples.resolve(f));
        }
        javaLog = root.resolve("java-invocations.log");
        Files.createFile(javaLog);
        aotDir = target.resolve("aot");
    }

    @Test
    @Order(1)
    void theFirstCommandRunsWithoutACacheAndStartsTheTraining() throws Exception {
        Run first = launch(true, "print", example("add.mlir"));
        assertThat(first.javaArgs()).noneMatch(a -> a.startsWith("-XX:AOTCache"));
        assertSameAsWithoutCache(first, "print", example("add.mlir"));
        Path cache = awaitCache(null);
        assertThat(cache.getParent()).isEqualTo(root.resolve("cli/target/aot"));
        assertThat(cache.getFileName().toString()).matches("hlo4j-[0-9]+-[0-9]+\\.aot");
        assertThat(Files.size(cache)).isGreaterThan(1 << 20);
        List<String> training = javaRuns(first.logMark(), "io.hlo4j.cli.AotTraining");
        assertThat(training).hasSize(1);
        List<String> args = List.of(training.get(0).split("\u0001"));
        assertThat(args.get(0)).startsWith("-XX:AOTCacheOutput=" + aotDir.resolve(cache.getFileName() + ".tmp."));
        assertThat(String.join(" ", args)).contains("io.hlo4j.cli.AotTraining demo ; print " + root.resolve("docs/examples/add.mlir") + " ;");
    }

    @Test
    @Order(2)
    void withTheCacheEveryCommandPrintsAndExitsAsWithout() throws Exception {
        Path cache = onlyCache();
        List<List<String>> commands = List.of(List.of("demo"), List.of("print", example("add.mlir")),
                List.of("verify", example("bad.mlir")), List.of("frobnicate"));
        List<Integer> codes = new ArrayList<>();
        for (List<String> c : commands) {
            Run on = launch(true, c.toArray(String[]::new));
            assertThat(on.javaArgs()).as("%s", c).contains("-XX:AOTCache=" + cache, "-Xlog:aot*=off");
            codes.add(assertSameAsWithoutCache(on, c.toArray(String[]::new)));
        }
        assertThat(codes).containsExactly(0, 0, 1, 2);
        assertThat(onlyCache()).isEqualTo(cache); // a command that uses the cache starts no training
    }

    @Test
    @Order(3)
    void aTouchedJarMakesTheCacheStaleItIsNotUsedAndIsReplaced() throws Exception {
        Path old = onlyCache();
        Path jar = root.resolve("cli/target/lib/hlo4j-runtime.jar");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));
        Run stale = launch(true, "print", example("add.mlir"));
        assertThat(stale.javaArgs()).noneMatch(a -> a.startsWith("-XX:AOTCache"));
        assertSameAsWithoutCache(stale, "print", example("add.mlir"));
        Path fresh = awaitCache(old);
        assertThat(fresh).isNotEqualTo(old);
        assertThat(old).doesNotExist(); // made from the older jar: removed once the new one is in place
        Run next = launch(true, "print", example("add.mlir"));
        assertThat(next.javaArgs()).contains("-XX:AOTCache=" + fresh);
        assertSameAsWithoutCache(next, "print", example("add.mlir"));
    }

    /** A failed training is not retried for the same jars, and commands still run, quietly, without a cache. */
    @Test
    @Order(4)
    void aFailedTrainingIsNotRetriedUntilTheJarsChange() throws Exception {
        Path cache = onlyCache();
        Files.delete(cache);
        String key = cache.getFileName().toString().replace(".aot", "");
        Files.createFile(aotDir.resolve(key + ".failed"));
        Run r = launch(true, "print", example("add.mlir"));
        assertThat(r.javaArgs()).noneMatch(a -> a.startsWith("-XX:AOTCache"));
        assertSameAsWithoutCache(r, "print", example("add.mlir"));
        Thread.sleep(500); // time enough for a training to have begun, had one been started
        assertThat(javaRuns(r.logMark(), "AotTraining")).isEmpty();
        assertThat(aotDir.resolve(cache.getFileName())).doesNotExist();
    }

    /** {@code logMark}: the java log's line count before the command started. */
    record Run(int code, String out, String err, List<String> javaArgs, int logMark) {}

    /** Runs {@code ./hlo4j args} in the scratch checkout, with the cache on or off; the java command it ran. */
    private static Run launch(boolean aot, String... args) throws Exception {
        int mark = Files.readAllLines(javaLog).size();
        List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("hlo4j").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("HLO4J_") || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS"));
        pb.environment().put("HLO4J_NO_BUILD", "1");
        pb.environment().put("JAVA_HOME", loggingJdk().toString());
        if (!aot) pb.environment().put("HLO4J_AOT", "0");
        Path out = Files.createTempFile(root, "out", ".txt"), err = Files.createTempFile(root, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("./hlo4j %s ended", String.join(" ", args)).isTrue();
        // The command's JVM runs Main; a training started in the background runs AotTraining.
        List<String> commandRuns = javaRuns(mark, "\u0001io.hlo4j.cli.Main\u0001");
        assertThat(commandRuns).as("java runs of Main").hasSize(1);
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err), List.of(commandRuns.get(0).split("\u0001")), mark);
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    /** The java command lines (arguments separated by U+0001) logged since line {@code mark} that contain {@code what}. */
    private static List<String> javaRuns(int mark, String what) throws IOException {
        List<String> lines = Files.readAllLines(javaLog);
        return lines.subList(mark, lines.size()).stream().filter(l -> l.contains(what)).toList();
    }

    /** Asserts that {@code HLO4J_AOT=0} gives the same exit code and output (timings aside); returns the code. */
    private static int assertSameAsWithoutCache(Run on, String... args) throws Exception {
        Run off = launch(false, args);
        assertThat(off.javaArgs()).noneMatch(a -> a.contains("AOT"));
        assertThat(on.code()).as("exit code of %s", List.of(args)).isEqualTo(off.code());
        assertThat(untimed(on.out())).as("stdout of %s", List.of(args)).isEqualTo(untimed(off.out()));
        assertThat(on.err()).as("stderr of %s", List.of(args)).isEqualTo(off.err());
        return on.code();
    }

    /** The output with each printed duration ("in 23.2 ms", "trace 1199.1 ms") replaced by "T ms". */
    private static String untimed(String s) {
        return s.replaceAll("[0-9]+(\\.[0-9]+)? ms\\b", "T ms");
    }

    /** Waits until the training has put a cache other than {@code old} in place and holds no more files. */
    private static Path awaitCache(Path old) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TRAINING_DEADLINE_S);
        while (System.nanoTime() < deadline) {
            List<Path> files = aotFiles();
            List<Path> caches = files.stream().filter(f -> f.toString().endsWith(".aot") && !f.equals(old)).toList();
            boolean busy = files.stream().anyMatch(f -> f.toString().contains(".tmp.") || f.toString().endsWith(".log")) || old != null && Files.exists(old);
            if (caches.size() == 1 && !busy) return caches.get(0);
            assertThat(files).as("a training failed; its log: %s", files).noneMatch(f -> f.toString().endsWith(".failed"));
            Thread.sleep(200);
        }
        throw new AssertionError("no cache after " + TRAINING_DEADLINE_S + " s: " + aotFiles());
    }

    private static Path onlyCache() throws IOException {
        List<Path> caches = aotFiles().stream().filter(f -> f.toString().endsWith(".aot")).toList();
        assertThat(caches).hasSize(1);
        return caches.get(0);
    }

    private static List<Path> aotFiles() throws IOException {
        if (!Files.isDirectory(aotDir)) return List.of();
        try (Stream<Path> s = Files.list(aotDir)) {
            return s.filter(f -> !f.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    private static String example(String name) {
        return Path.of("..", "docs", "examples", name).toAbsolutePath().normalize().toString();
    }

    /** A JDK of links to this test's one, whose bin/java writes its arguments (separated by U+0001) to a log first. */
    private static Path loggingJdk() throws IOException {
        if (jdk != null) return jdk;
        jdk = Files.createTempDirectory("hlo4j-logging-jdk");
        Path real = Path.of(System.getProperty("java.home"));
        Files.createDirectories(jdk.resolve("bin"));
        Files.copy(real.resolve("release"), jdk.resolve("release"));
        Files.createSymbolicLink(jdk.resolve("lib"), real.resolve("lib"));
        Files.createSymbolicLink(jdk.resolve("bin/javac"), real.resolve("bin/javac"));
        Path java = jdk.resolve("bin/java");
        Files.writeString(java, """
                #!/bin/sh
                (IFS=$(printf '\\001'); printf '%%s\\n' "$*") >> '%s'
                exec '%s' "$@"
                """.formatted(javaLog, real.resolve("bin/java")));
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return jdk;
    }

    /** A jar of the classes under {@code dir} (entries in a fixed order, so two runs make the same jar). */
    private static void jar(Path dir, Path jar) throws IOException {
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
