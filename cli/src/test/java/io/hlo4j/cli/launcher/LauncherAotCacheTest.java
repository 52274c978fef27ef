package io.hlo4j.cli.launcher;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code ./hlo4j} launcher and its ahead-of-time cache ({@code scripts/aot.sh}), in a scratch checkout
 * ({@link LauncherCheckout}: the launcher, this build's jars, and a JDK whose {@code bin/java} logs its arguments before
 * running the real one, so the test sees which cache each command was given). The commands' outputs with the cache are compared with
 * {@code HLO4J_AOT=0}'s, byte for byte but for the timings they print. The tests share one checkout and run in order:
 * the first command trains the cache in the background, the next tests use that cache, and the last one makes it stale
 * by touching a jar and waits for its replacement (the two trainings the tests wait for), which removes every file no
 * launcher can use any more. Any training still running at the end is killed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LauncherAotCacheTest {
    /** How long a training run (demo and four short commands, then the cache's assembly) may take on a loaded machine. */
    private static final long TRAINING_DEADLINE_S = 300;

    /**
     * The JVM options ./hlo4j runs java with on JDK 23 and newer (its JAVA_OPTS, no HLO4J_JAVA_OPTS, no HLO4J_VECTOR),
     * written out by hand; {@link #VECTOR_OPTS} with {@code HLO4J_VECTOR=1} (a JDK with the module).
     */
    private static final List<String> LAUNCHER_OPTS = List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xss16m");
    private static final List<String> VECTOR_OPTS = Stream.concat(LAUNCHER_OPTS.stream(), Stream.of("--add-modules", "jdk.incubator.vector")).toList();

    @TempDir static Path root;
    private static Path javaLog;
    private static Path aotDir;

    /** The logging JDK: outside {@code root}, whose cleanup would warn about its links to the real JDK. */
    private static Path jdk;

    @AfterAll
    static void removeJdk() throws IOException {
        killTrainings();
        LauncherCheckout.removeJdk(jdk);
    }

    @BeforeAll
    static void checkout() throws IOException {
        // Without flock the launcher makes no cache: fail now rather than wait for one.
        assertThat(Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).map(d -> Path.of(d, "flock")))
                .as("flock on PATH (util-linux); the launcher makes no cache without it").anyMatch(Files::isExecutable);
        Path repo = LauncherCheckout.repo();
        LauncherCheckout.copyLauncher(root);
        LauncherCheckout.jars(root);
        Path target = root.resolve("cli/target");
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
        // The caller holds a pipe open on fd 3 (bash -c 'exec 3>&1; ./hlo4j ...; echo done >&3' | cat): the pipe must
        // reach its end when the command ends, not when the background training does.
        Run first = launch(true, Map.of(), true, "print", example("add.mlir"));
        assertThat(aotFiles()).as("the training still runs when the caller's pipe ends").noneMatch(f -> f.toString().endsWith(".aot"));
        assertThat(first.javaArgs()).noneMatch(a -> a.startsWith("-XX:AOTCache"));
        assertSameAsWithoutCache(first, "print", example("add.mlir"));
        Path cache = awaitCache(null);
        assertThat(cache.getParent()).isEqualTo(root.resolve("cli/target/aot"));
        assertThat(cache.getFileName().toString()).matches("hlo4j-[0-9]+-[0-9]+\\.aot");
        // the launcher keys the cache as the cleanup recomputes keys (aot.sh's hlo4j_aot_key_of), from its JDK and options
        assertThat(first.javaArgs().subList(0, LAUNCHER_OPTS.size() + 1)).as("the command's JVM options")
                .containsExactlyElementsOf(Stream.concat(LAUNCHER_OPTS.stream(), Stream.of("-Dhlo4j.root=" + root)).toList());
        assertLauncherKey(cache);
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

    /** A cache the JVM refuses (random bytes) prints nothing and changes nothing: the command runs without it. */
    @Test
    @Order(3)
    void aCacheOfRandomBytesIsRefusedQuietly() throws Exception {
        Path cache = onlyCache(), saved = root.resolve("saved.aot");
        Files.move(cache, saved);
        try {
            byte[] junk = new byte[1 << 20];
            new Random(42).nextBytes(junk);
            Files.write(cache, junk);
            for (List<String> c : List.of(List.of("print", example("add.mlir")), List.of("verify", example("bad.mlir")))) {
                Run on = launch(true, c.toArray(String[]::new));
                assertThat(on.javaArgs()).as("%s", c).contains("-XX:AOTCache=" + cache);
                assertSameAsWithoutCache(on, c.toArray(String[]::new));
            }
        } finally {
            Files.move(saved, cache, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * The user's own JVM options: the JVM reads the three variables itself ({@code -Xshare:off} there would make
     * {@code -XX:AOTCache} an error), and a training would rerun {@code HLO4J_JAVA_OPTS} (a debug port, GC logs). No
     * cache is used and none is made.
     */
    @Test
    @Order(4)
    void theUsersJvmOptionsTurnTheCacheOff() throws Exception {
        List<Path> before = aotFiles();
        // JAVA_TOOL_OPTIONS and _JAVA_OPTIONS take the same path in aot.sh as JDK_JAVA_OPTIONS (checked by hand).
        for (Map<String, String> env : List.of(Map.of("JDK_JAVA_OPTIONS", "-Xshare:off"), Map.of("HLO4J_JAVA_OPTS", "-Xmx1g"))) {
            Run on = launch(true, env, false, "print", example("add.mlir"));
            assertThat(on.javaArgs()).as("%s", env).noneMatch(a -> a.contains("AOT"));
            Run off = launch(false, env, false, "print", example("add.mlir"));
            assertThat(on.code()).as("exit code with %s", env).isEqualTo(off.code()).isZero();
            assertThat(on.out()).as("stdout with %s", env).isEqualTo(off.out());
            assertThat(on.err()).as("stderr with %s", env).isEqualTo(off.err());
            Thread.sleep(300); // time enough for a training to have begun, had one been started
            assertThat(javaRuns(on.logMark(), "AotTraining")).as("trainings with %s", env).isEmpty();
        }
        assertThat(aotFiles()).isEqualTo(before);
    }

    /** A failed training is not retried for the same jars, and commands still run, quietly, without a cache. */
    @Test
    @Order(5)
    void aFailedTrainingIsNotRetriedUntilTheJarsChange() throws Exception {
        Path cache = onlyCache(), saved = root.resolve("saved.aot");
        String key = cache.getFileName().toString().replace(".aot", "");
        Path failed = aotDir.resolve(key + ".failed");
        Files.move(cache, saved);
        Files.createFile(failed);
        try {
            Run r = launch(true, "print", example("add.mlir"));
            assertThat(r.javaArgs()).noneMatch(a -> a.startsWith("-XX:AOTCache"));
            assertSameAsWithoutCache(r, "print", example("add.mlir"));
            Thread.sleep(500); // time enough for a training to have begun, had one been started
            assertThat(javaRuns(r.logMark(), "AotTraining")).isEmpty();
            assertThat(cache).doesNotExist();
        } finally {
            Files.delete(failed);
            Files.move(saved, cache); // a move keeps its mtime, older than the jars, as the next test needs
        }
    }

    /**
     * {@code HLO4J_VECTOR=1} adds JVM options, so it has its own cache: its first command runs without one and trains
     * it beside the other, whose files that training's cleanup keeps (their .jdk record gives back their key); a user
     * who alternates the two settings then gets both caches and starts no training.
     */
    @Test
    @Order(6)
    void theVectorSettingHasItsOwnCacheAndAlternatingKeepsBoth() throws Exception {
        Path plain = onlyCache();
        Map<String, String> vector = Map.of("HLO4J_VECTOR", "1");
        Run first = launch(true, vector, false, "print", example("add.mlir"));
        assertThat(first.javaArgs()).noneMatch(a -> a.startsWith("-XX:AOTCache"));
        assertThat(first.javaArgs().subList(0, VECTOR_OPTS.size())).containsExactlyElementsOf(VECTOR_OPTS);
        assertSameAsWithoutCache(first, "print", example("add.mlir"));
        Path vectorCache = awaitCache(null, plain);
        awaitTrainingLock(); // its cleanup has run
        String vectorKey = keyOf(loggingJdk().toString(), VECTOR_OPTS.toArray(String[]::new));
        assertThat(vectorCache.getFileName().toString()).isEqualTo("hlo4j-" + vectorKey + ".aot");
        assertThat(Files.readAllLines(aotDir.resolve("hlo4j-" + vectorKey + ".jdk")))
                .containsExactlyElementsOf(Stream.concat(Stream.of(loggingJdk().toString()), VECTOR_OPTS.stream()).toList());
        String plainKey = plain.getFileName().toString().replace(".aot", "");
        assertThat(List.of(plain, aotDir.resolve(plainKey + ".jdk"))).as("the other setting's cache, kept").allSatisfy(f -> assertThat(f).exists());
        int mark = Files.readAllLines(javaLog).size();
        for (int round = 0; round < 2; round++) {
            Run withVector = launch(true, vector, false, "print", example("add.mlir"));
            assertThat(withVector.javaArgs()).contains("-XX:AOTCache=" + vectorCache, "jdk.incubator.vector");
            assertSameAsWithoutCache(withVector, "print", example("add.mlir"));
            Run without = launch(true, "print", example("add.mlir"));
            assertThat(without.javaArgs()).contains("-XX:AOTCache=" + plain).doesNotContain("jdk.incubator.vector");
            assertSameAsWithoutCache(without, "print", example("add.mlir"));
        }
        Thread.sleep(300); // time enough for a training to have begun, had one been started
        assertThat(javaRuns(mark, "AotTraining")).isEmpty();
        assertThat(aotFiles().stream().filter(f -> f.toString().endsWith(".aot")).toList()).containsExactlyInAnyOrder(plain, vectorCache);
    }

    /**
     * The last test: a touched jar's cache is neither used nor printed about; a new training starts, and once its cache
     * is in place every file no launcher can use any more is gone: the old caches (of both HLO4J_VECTOR settings), another JDK's that is no longer
     * there, a failure of the old jars, a cache from before the .jdk records older than the jars. Another JDK's cache of
     * these jars stays while that JDK is there, and so does an unrecorded file newer than the jars.
     */
    @Test
    @Order(7)
    void aTouchedJarMakesTheCacheStaleItIsNotUsedAndIsReplaced() throws Exception {
        String oldKey = "hlo4j-" + keyOf(loggingJdk().toString(), LAUNCHER_OPTS.toArray(String[]::new));
        String oldVectorKey = "hlo4j-" + keyOf(loggingJdk().toString(), VECTOR_OPTS.toArray(String[]::new));
        Path old = aotDir.resolve(oldKey + ".aot"), oldVector = aotDir.resolve(oldVectorKey + ".aot");
        assertThat(List.of(old, oldVector)).allSatisfy(f -> assertThat(f).exists());
        assertThat(Files.readAllLines(aotDir.resolve(oldKey + ".jdk"))).as("the JDK and options the old key was made with")
                .startsWith(loggingJdk().toString());
        Path jar = root.resolve("cli/target/lib/hlo4j-runtime.jar");
        long jarTime = Files.getLastModifiedTime(jar).toMillis() + 60_000;
        Files.setLastModifiedTime(jar, FileTime.fromMillis(jarTime));
        // Another JDK's cache of the touched jars (the real JDK, another option), which a launcher could still use...
        String otherJdk = System.getProperty("java.home");
        String usable = keyOf(otherJdk, "-Xss8m");
        Path kept = plant(usable + ".aot", jarTime + 1000, otherJdk, "-Xss8m");
        // ... and what none can: a JDK that is gone, a failure of the old jars, files from before .jdk records.
        Path goneJdk = plant("1-1.aot", jarTime + 1000, root.resolve("no-such-jdk").toString(), "-Xss16m");
        Path oldFailure = plant("2-2.failed", jarTime + 1000, loggingJdk().toString(), "-Xss16m");
        Path unrecordedOld = plant("3-3.aot", jarTime - 120_000);
        Path unrecordedNew = plant("4-4.aot", jarTime + 60_000);

        Run stale = launch(true, "print", example("add.mlir"));
        assertThat(stale.javaArgs()).noneMatch(a -> a.startsWith("-XX:AOTCache"));
        assertSameAsWithoutCache(stale, "print", example("add.mlir"));
        Path fresh = awaitCache(old, kept, unrecordedNew);
        assertThat(fresh).isNotEqualTo(old);
        assertLauncherKey(fresh); // the key the cleanup gives the touched jars: it kept this cache
        assertThat(old).as("made from the older jar: removed once the new one is in place").doesNotExist();
        // the cleanup removes file after file: wait (briefly) for the last of them
        List<Path> unusable = List.of(aotDir.resolve(oldKey + ".jdk"), oldVector, aotDir.resolve(oldVectorKey + ".jdk"), goneJdk, aotDir.resolve("hlo4j-1-1.jdk"), oldFailure,
                aotDir.resolve("hlo4j-2-2.jdk"), unrecordedOld);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (unusable.stream().anyMatch(Files::exists) && System.nanoTime() < until) Thread.sleep(100);
        assertThat(unusable).allSatisfy(f -> assertThat(f).doesNotExist());
        assertThat(List.of(kept, aotDir.resolve("hlo4j-" + usable + ".jdk"), unrecordedNew)).allSatisfy(f -> assertThat(f).exists());
        Run next = launch(true, "print", example("add.mlir"));
        assertThat(next.javaArgs()).contains("-XX:AOTCache=" + fresh);
        assertSameAsWithoutCache(next, "print", example("add.mlir"));
    }

    /**
     * {@code cache}, trained by the real launcher, has the key {@link #keyOf} gives the logging JDK and
     * {@link #LAUNCHER_OPTS} for the jars as they are now, and its .jdk record holds the same JDK and options: the key
     * the launcher uses is the one the cleanup recomputes from that record, so "another JDK's cache" above is keyed as a
     * launcher would key it.
     */
    private static void assertLauncherKey(Path cache) throws Exception {
        String key = keyOf(loggingJdk().toString(), LAUNCHER_OPTS.toArray(String[]::new));
        assertThat(cache.getFileName().toString()).isEqualTo("hlo4j-" + key + ".aot");
        assertThat(Files.readAllLines(aotDir.resolve("hlo4j-" + key + ".jdk")))
                .containsExactlyElementsOf(Stream.concat(Stream.of(loggingJdk().toString()), LAUNCHER_OPTS.stream()).toList());
    }

    /** The key a launcher with {@code jdk} and {@code opts} gets for the scratch checkout's jars now (aot.sh's own function). */
    private static String keyOf(String jdk, String... opts) throws Exception {
        Path target = root.resolve("cli/target");
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "set -euo pipefail; ROOT=$1 JAR=$2 LIB=$3 CP=\"$2:$3/*\"; shift 3; "
                + "source \"$ROOT/scripts/aot.sh\"; hlo4j_aot_key_of \"$@\" | tr ' ' -", "bash",
                root.toString(), target.resolve("hlo4j-cli.jar").toString(), target.resolve("lib").toString(), jdk));
        cmd.addAll(List.of(opts));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).matches("[0-9]+-[0-9]+");
        return out;
    }

    /** Waits until no training holds the cache folder's lock (a training's cleanup runs under it, after its cache is in place). */
    private static void awaitTrainingLock() throws Exception {
        Process p = new ProcessBuilder("flock", aotDir.resolve(".train.lock").toString(), "true").redirectErrorStream(true).start();
        assertThat(p.waitFor(TRAINING_DEADLINE_S, TimeUnit.SECONDS)).as("the training's lock released").isTrue();
        assertThat(p.exitValue()).isZero();
    }

    /** {@code hlo4j-NAME} in the cache folder with mtime {@code millis}, and a .jdk record of {@code jdkAndOpts} if any. */
    private static Path plant(String name, long millis, String... jdkAndOpts) throws IOException {
        Path f = aotDir.resolve("hlo4j-" + name);
        Files.write(f, new byte[]{1});
        Files.setLastModifiedTime(f, FileTime.fromMillis(millis));
        if (jdkAndOpts.length > 0) Files.write(aotDir.resolve("hlo4j-" + name.substring(0, name.lastIndexOf('.')) + ".jdk"), List.of(jdkAndOpts));
        return f;
    }

    /** {@code HLO4J_AOT=0}'s run of each command line, made once: it depends on no cache (the tests' time). */
    private static final Map<List<String>, Run> WITHOUT_CACHE = new HashMap<>();

    /** {@code logMark}: the java log's line count before the command started. */
    record Run(int code, String out, String err, List<String> javaArgs, int logMark) {}

    /** Runs {@code ./hlo4j args} in the scratch checkout, with the cache on or off; the java command it ran. */
    private static Run launch(boolean aot, String... args) throws Exception {
        return launch(aot, Map.of(), false, args);
    }

    /**
     * {@code env}: variables set for the command. {@code fd3}: the command runs as {@code bash -c 'exec 3>&1; ./hlo4j
     * ARGS >out 2>err; echo done >&3'} with the pipe to this test on fd 3, and this returns when the pipe ends.
     */
    private static Run launch(boolean aot, Map<String, String> env, boolean fd3, String... args) throws Exception {
        int mark = Files.readAllLines(javaLog).size();
        Path out = Files.createTempFile(root, "out", ".txt"), err = Files.createTempFile(root, "err", ".txt");
        List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("hlo4j").toString()));
        cmd.addAll(List.of(args));
        if (fd3) {
            cmd = new ArrayList<>(List.of("bash", "-c", "exec 3>&1; \"$@\" >'" + out + "' 2>'" + err + "'; rc=$?; echo done >&3; exit $rc",
                    "bash"));
            cmd.addAll(List.of("bash", root.resolve("hlo4j").toString()));
            cmd.addAll(List.of(args));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("HLO4J_") || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS")
                || k.equals("_JAVA_OPTIONS"));
        pb.environment().put("HLO4J_NO_BUILD", "1");
        pb.environment().put("JAVA_HOME", loggingJdk().toString());
        pb.environment().putAll(env);
        if (!aot) pb.environment().put("HLO4J_AOT", "0");
        Process p;
        if (fd3) {
            p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
            // Read the pipe to its end in the background: the end, not the exit, is what a caller's `| cat` waits for.
            CompletableFuture<String> piped = CompletableFuture.supplyAsync(() -> {
                try (var in = p.getInputStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            assertThat(piped.get(15, TimeUnit.SECONDS)).as("the pipe of ./hlo4j %s ended", String.join(" ", args)).isEqualTo("done\n");
        } else {
            p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        }
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
        Run off = WITHOUT_CACHE.get(List.of(args));
        if (off == null) {
            off = launch(false, args);
            assertThat(off.javaArgs()).noneMatch(a -> a.contains("AOT"));
            WITHOUT_CACHE.put(List.of(args), off);
        }
        assertThat(on.code()).as("exit code of %s", List.of(args)).isEqualTo(off.code());
        assertThat(untimed(on.out())).as("stdout of %s", List.of(args)).isEqualTo(untimed(off.out()));
        assertThat(on.err()).as("stderr of %s", List.of(args)).isEqualTo(off.err());
        return on.code();
    }

    /** The output with each printed duration ("in 23.2 ms", "trace 1199.1 ms") replaced by "T ms". */
    private static String untimed(String s) {
        return s.replaceAll("[0-9]+(\\.[0-9]+)? ms\\b", "T ms");
    }

    /**
     * Waits until the training has put a cache other than {@code old} and {@code others} in place and holds no more
     * files ({@code old} removed, no temporary file or log).
     */
    private static Path awaitCache(Path old, Path... others) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TRAINING_DEADLINE_S);
        while (System.nanoTime() < deadline) {
            List<Path> files = aotFiles();
            List<Path> caches = files.stream().filter(f -> f.toString().endsWith(".aot") && !f.equals(old) && !List.of(others).contains(f)).toList();
            boolean busy = files.stream().anyMatch(f -> f.toString().contains(".tmp.") || f.toString().endsWith(".log")) || old != null && Files.exists(old);
            if (caches.size() == 1 && !busy) return caches.get(0);
            assertThat(files).as("a training failed; its log: %s", files).noneMatch(f -> f.toString().endsWith(".failed") && !f.getFileName().toString().equals("hlo4j-2-2.failed"));
            Thread.sleep(200);
        }
        throw new AssertionError("no cache after " + TRAINING_DEADLINE_S + " s: " + aotFiles());
    }

    /**
     * Ends the trainings this test started and their wrappers (bash, timeout, nice): their command lines name its
     * scratch checkout. Not {@code descendants()}: a training's subshell outlives the launcher that started it.
     */
    private static void killTrainings() {
        if (root == null) return;
        String mark = root.toString();
        List<ProcessHandle> ours = ProcessHandle.allProcesses()
                .filter(h -> h.info().commandLine().map(c -> c.contains(mark)).orElse(false)).toList();
        ours.forEach(ProcessHandle::destroyForcibly);
        ours.forEach(h -> h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join());
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

    /** {@link LauncherCheckout#loggingJdk}, logging to {@code javaLog}; made once. */
    private static Path loggingJdk() throws IOException {
        if (jdk == null) jdk = LauncherCheckout.loggingJdk(javaLog);
        return jdk;
    }
}
