package io.hlo4j.cli.launcher;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./hlo4j} adds {@code jdk.incubator.vector} only with {@code HLO4J_VECTOR=1} (when the JDK has it; unset or 0:
 * java is exec'd as it always was, any other value is refused) and then removes the JVM's one-line warning about it
 * from stderr ({@code scripts/incubator.sh}), and nothing else changes for the caller: exit status (java killed, the
 * filter killed, a signal as java ends), stdin (a terminal too), stdout (java writes to the caller's own file),
 * stderr's other bytes in order and as they come (NUL, invalid UTF-8, long lines), signals passed on to java,
 * nothing left running. Two kinds of JDK: the real one behind a logging
 * {@code bin/java} ({@link LauncherCheckout}), and a stand-in whose {@code bin/java} is a shell script that prints the
 * warning as the JVM does (first, when given the module) and then does what its command says, for what a real JVM
 * does not do on demand (a partial line, megabytes of stderr just before its exit, waiting for a signal).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LauncherVectorTest {
    private static final String WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";
    private static final Map<String, String> ON = Map.of("HLO4J_VECTOR", "1");

    @TempDir static Path root;
    private static Path javaLog, realJdk, fakeJdk, fakeJdkWithoutModule;

    @BeforeAll
    static void checkout() throws IOException {
        LauncherCheckout.copyLauncher(root);
        LauncherCheckout.jars(root);
        javaLog = root.resolve("java-invocations.log");
        Files.createFile(javaLog);
        realJdk = LauncherCheckout.loggingJdk(javaLog);
        fakeJdk = fakeJdk("fake-jdk", "java.base jdk.incubator.vector jdk.unsupported");
        fakeJdkWithoutModule = fakeJdk("fake-jdk-without", "java.base jdk.unsupported");
    }

    @AfterAll
    static void removeJdk() throws IOException {
        LauncherCheckout.removeJdk(realJdk);
    }

    // ---- the real JVM ----

    @Test
    void versionSaysWhichKernelsRunAndTheWarningIsGone() throws Exception {
        Run vector = launch(realJdk, ON, "--version");
        assertThat(vector.code()).isZero();
        assertThat(vector.err()).as("stderr").isEmpty();
        assertThat(vector.out()).startsWith("hlo4j ").endsWith("\ninterpreter kernels: vector (jdk.incubator.vector)\n");
        assertThat(String.join(" ", lastJavaArgs())).contains("-Xss16m --add-modules jdk.incubator.vector -Dhlo4j.root=");

        for (Map<String, String> off : List.of(Map.<String, String>of(), Map.of("HLO4J_VECTOR", "0"), Map.of("HLO4J_VECTOR", ""))) {
            Run scalar = launch(realJdk, off, "--version");
            assertThat(scalar.code()).isZero();
            assertThat(scalar.err()).isEmpty();
            assertThat(scalar.out()).endsWith("\ninterpreter kernels: scalar (without jdk.incubator.vector)\n");
            assertThat(lastJavaArgs()).as("%s", off).doesNotContain("jdk.incubator.vector");
        }
    }

    /** Any other value: one line naming the variable and its values, exit 2, before any build and without java. */
    @Test
    void otherValuesAreRefused() throws Exception {
        long before = Files.readAllLines(javaLog).size();
        for (String v : List.of("2", "yes", "true", " 1", "1\n")) {
            Run r = launch(realJdk, Map.of("HLO4J_VECTOR", v, "HLO4J_NO_BUILD", ""), "--version");
            assertThat(r.code()).as("HLO4J_VECTOR=%s", v).isEqualTo(2);
            assertThat(r.out()).isEmpty();
            String shown = v.equals("1\n") ? "$'1\\n'" : v.equals(" 1") ? "\\ 1" : v;
            assertThat(r.err()).isEqualTo("hlo4j: HLO4J_VECTOR is " + shown + ": set it to 1 (add jdk.incubator.vector: the vector "
                    + "kernels) or 0 or leave it unset (without it)\n");
        }
        assertThat(Files.readAllLines(javaLog)).as("java runs").hasSize((int) before);
        assertThat(root.resolve("cli/target/hlo4j-build.stamp")).as("no build started").doesNotExist();
    }

    /**
     * Exit codes 0, 1 and 2, stdout and stderr byte for byte as with {@code HLO4J_VECTOR=0} (which runs java by exec,
     * as the launcher always did), the stderr lines of a failing verify in order; java's own fds are the caller's
     * stdin file and stdout file (not a pipe of the launcher's), and it starts with SIGINT and SIGQUIT at their
     * defaults, so that the JVM installs its Ctrl-C handler.
     */
    @Test
    void realCommandsExitPrintAndGetTheirFdsAsWithoutTheModule() throws Exception {
        Path in = root.toRealPath().resolve("stdin.txt");
        Files.writeString(in, "not read\n");
        String add = example("add.mlir"), bad = example("bad.mlir");
        List<List<String>> commands = List.of(List.of("print", add), List.of("verify", bad, "missing.mlir"), List.of("frobnicate"));
        List<Integer> codes = new ArrayList<>();
        for (List<String> c : commands) {
            Path fds = root.resolve("fds.txt"), offFds = root.resolve("off-fds.txt");
            Files.deleteIfExists(fds);
            Files.deleteIfExists(offFds);
            Path outFile = root.toRealPath().resolve("out.txt"); // removed by launch once read
            Run on = launch(realJdk, Map.of("HLO4J_VECTOR", "1", "LAUNCHER_TEST_FDS", fds.toString()), in, outFile, c.toArray(String[]::new));
            List<String> fd = Files.readAllLines(fds);
            Run off = launch(realJdk, Map.of("LAUNCHER_TEST_FDS", offFds.toString()), in, outFile, c.toArray(String[]::new));
            List<String> offFd = Files.readAllLines(offFds);
            // Without the module: exactly the old path, java exec'd by the launcher (this test's child) on the caller's fds.
            assertThat(offFd.get(2)).as("java's stderr without the module").startsWith(root.toRealPath().resolve("err").toString());
            assertThat(offFd.get(4)).as("java's parent without the module: this test (exec)").isEqualTo("ppid " + ProcessHandle.current().pid());
            assertThat(fd.get(4)).as("java's parent with the module: the launcher's job").isNotEqualTo("ppid " + ProcessHandle.current().pid());
            assertThat(on.code()).as("exit code of %s", c).isEqualTo(off.code());
            assertThat(on.out()).as("stdout of %s", c).isEqualTo(off.out());
            assertThat(on.err()).as("stderr of %s", c).isEqualTo(off.err()).doesNotContain("WARNING");
            assertThat(fd.get(0)).as("java's stdin").isEqualTo(in.toString());
            assertThat(fd.get(1)).as("java's stdout").isEqualTo(outFile.toString());
            assertThat(fd.get(2)).as("java's stderr: the filter's pipe").startsWith("pipe:");
            long ignored = Long.parseLong(fd.get(3).replace("SigIgn:", "").strip(), 16);
            assertThat(ignored & 0b110).as("SIGINT and SIGQUIT ignored by java (SigIgn %s)", fd.get(3)).isZero();
            codes.add(on.code());
        }
        assertThat(codes).containsExactly(0, 1, 2);
        Run verify = launch(realJdk, Map.of(), "verify", bad, "missing.mlir");
        assertThat(verify.err()).isEqualTo("hlo4j: " + bad + ":3:18: expected ':' (found 'tensor')\nhlo4j: missing.mlir: no such file\n");
        assertThat(launch(realJdk, Map.of(), "print", add).out()).contains("stablehlo.add");
    }

    // ---- the stand-in JVM ----

    /** Lines before and after the warning, a second copy of it, a last line without newline; the exit code. */
    @Test
    void onlyTheFirstWarningLineGoesAndTheRestStaysInOrder() throws Exception {
        String expected = "NOTE: Picked up JDK_JAVA_OPTIONS: -Dfake\ne1\n" + WARNING + "\ne2\ne3 without a newline";
        for (int code : List.of(0, 1, 2, 130)) {
            Run on = launch(fakeJdk, ON, "lines", Integer.toString(code));
            assertThat(on.code()).isEqualTo(code);
            assertThat(on.out()).isEqualTo("o1\n");
            assertThat(on.err()).isEqualTo(expected);
            assertThat(fakeLog()).contains("module");
            for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of("HLO4J_VECTOR", "0"))) {
                Run off = launch(fakeJdk, env, "lines", Integer.toString(code));
                assertThat(off).isEqualTo(on);
                assertThat(fakeLog()).startsWith("no module");
            }
        }
    }

    @Test
    void aJdkWithoutTheModuleRunsWithoutItAndHlo4jJavaOptsStillCome() throws Exception {
        Run r = launch(fakeJdkWithoutModule, Map.of("HLO4J_VECTOR", "1", "HLO4J_JAVA_OPTS", "-Xmx1g -Dx=y"), "lines", "0");
        assertThat(fakeLog()).isEqualTo("no module: --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xss16m -Xmx1g -Dx=y");
        assertThat(r.err()).startsWith("NOTE: Picked up JDK_JAVA_OPTIONS: -Dfake\ne1\n");
        launch(fakeJdk, Map.of("HLO4J_VECTOR", "1", "HLO4J_JAVA_OPTS", "-Xmx1g -Dx=y"), "lines", "0");
        assertThat(fakeLog()).isEqualTo("module: --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xss16m "
                + "--add-modules jdk.incubator.vector -Xmx1g -Dx=y");
    }

    @Test
    void stdinReachesJava() throws Exception {
        byte[] data = new byte[300_000];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 7 + i / 256);
        Path out = root.resolve("stdin-out.bin"), err = root.resolve("stdin-err.txt");
        Process p = start(fakeJdk, ON, null, err, new String[]{"stdin"}, out); // stdout to a file: no pipe to drain
        try (OutputStream in = p.getOutputStream()) {
            in.write(data);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(data);
    }

    /**
     * 4 MB of stderr written just before java exits: the launcher returns after the filter has copied all of it (a
     * caller reading the file right after the exit sees the last line).
     */
    @Test
    void theLauncherReturnsAfterTheLastStderrLine() throws Exception {
        for (int i = 0; i < 3; i++) {
            Run r = launch(fakeJdk, ON, "big");
            assertThat(r.code()).isEqualTo(3);
            String note = "NOTE: Picked up JDK_JAVA_OPTIONS: -Dfake\n";
            assertThat(r.err().length()).isEqualTo(note.length() + 4_000_000 + "\nend\n".length());
            assertThat(r.err()).startsWith(note + "xxx").endsWith("x\nend\n");
        }
    }

    /**
     * 20,000 lines and no warning (a JVM that fails at start-up, with its own logging on stderr): the filter reads them
     * line by line, which takes a while after java has exited; the launcher still returns only once the last is
     * written.
     */
    @Test
    void manyLinesBeforeTheWarningAllArriveBeforeTheLauncherReturns() throws Exception {
        for (int i = 0; i < 3; i++) {
            Run r = launch(fakeJdk, ON, "many");
            assertThat(r.code()).isEqualTo(4);
            assertThat(r.err().lines().count()).isEqualTo(20_000);
            assertThat(r.err()).endsWith("a JVM start-up line before the warning 20000\n");
        }
    }

    /** A progress line without its newline reaches the caller's stderr while java still runs. */
    @Test
    void aPartialLineArrivesAtOnce() throws Exception {
        Path go = root.resolve("go"), err = root.resolve("partial-err.txt");
        Files.deleteIfExists(go);
        Process p = start(fakeJdk, ON, null, err, "partial", go.toString());
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(err).endsWith("progress 1/2") && System.nanoTime() < until) Thread.sleep(50);
            assertThat(Files.readString(err)).as("stderr while java waits").endsWith("progress 1/2");
        } finally {
            Files.writeString(go, "");
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(Files.readString(err)).endsWith("progress 1/2\rprogress 2/2\n");
    }

    /**
     * SIGTERM and SIGINT sent to the launcher alone reach java (which ends with its own status, as the JVM's handlers
     * do: 143, 130), its last stderr line is written, and nothing the launcher started is left running.
     */
    @Test
    void signalsToTheLauncherReachJavaAndLeaveNothingRunning() throws Exception {
        for (String sig : List.of("TERM", "INT")) {
            Path ready = root.resolve("ready-" + sig), err = root.resolve("signal-err-" + sig);
            Process p = start(fakeJdk, ON, null, err, "signal", ready.toString());
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(ready) && System.nanoTime() < until) Thread.sleep(50);
            assertThat(ready).as("the stand-in java started").exists();
            List<ProcessHandle> started = p.descendants().toList();
            assertThat(started).as("java, its parent, its sleep and the filter").hasSizeGreaterThanOrEqualTo(4);
            Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start();
            assertThat(kill.waitFor()).isZero();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the launcher ended after SIG%s", sig).isTrue();
            assertThat(p.exitValue()).isEqualTo(sig.equals("TERM") ? 143 : 130);
            assertThat(Files.readString(err)).endsWith("got " + sig + "\n");
            long ignored = Long.parseLong(Files.readAllLines(err).get(1).replace("SigIgn:", "").strip(), 16);
            assertThat(ignored & 0b110).as("SIGINT and SIGQUIT ignored by java").isZero();
            for (ProcessHandle h : started) {
                h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
                assertThat(h.isAlive()).as("%s left running", h.info().commandLine().orElse("pid " + h.pid())).isFalse();
            }
        }
    }

    /**
     * Bytes before and after the warning as the JVM wrote them: NUL bytes (which bash's {@code read} drops), invalid
     * UTF-8, a 200,000-byte line, a last line without its newline; the same without the module (no warning, exec).
     */
    @Test
    void everyByteButTheWarningArrives() throws Exception {
        byte[] on = launchBytes(ON, "bytes"), off = launchBytes(Map.of(), "bytes");
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(bytes("NOTE: a\0b\u00ff\u00fe "));
        expected.write(bytes("x".repeat(200_000) + "\n"));
        expected.write(bytes("after\0\u00fe\n" + WARNING + "\n" + "y".repeat(200_000)));
        assertThat(on).isEqualTo(expected.toByteArray());
        assertThat(off).isEqualTo(expected.toByteArray());
    }

    /**
     * java killed by SIGKILL: 137, its stderr up to then, and no "Killed" line of bash's own, as without the module (where
     * the launcher is java, exec'd).
     */
    @Test
    void javaKilledExitsWith137() throws Exception {
        Run on = launch(fakeJdk, ON, "selfkill");
        Run off = launch(fakeJdk, Map.of(), "selfkill");
        assertThat(on.code()).isEqualTo(137);
        assertThat(on).isEqualTo(off);
        assertThat(on.err()).isEqualTo("NOTE: Picked up JDK_JAVA_OPTIONS: -Dfake\nbefore\n");
    }

    /** The filter killed while java runs: java's status, and a line saying stderr may be incomplete (not silence). */
    @Test
    void aKilledFilterIsReported() throws Exception {
        Path ready = root.resolve("filter-ready"), go = root.resolve("filter-go"), err = root.resolve("filter-err.txt");
        Process p = start(fakeJdk, ON, null, err, "filterkill", ready.toString(), go.toString());
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(ready) && System.nanoTime() < until) Thread.sleep(50);
            List<ProcessHandle> cats = List.of();
            while (cats.isEmpty() && System.nanoTime() < until) { // cat starts once sed has read the warning
                cats = p.descendants().filter(h -> h.info().command().orElse("").endsWith("/cat")).toList();
                Thread.sleep(20);
            }
            assertThat(cats).as("the filter's cat").hasSize(1);
            // kill cat only once it has passed "before" on: a loaded machine can start cat before it copies the line
            while (!Files.readString(err).contains("before\n") && System.nanoTime() < until) Thread.sleep(20);
            cats.get(0).destroyForcibly();
            cats.get(0).onExit().get(10, TimeUnit.SECONDS);
        } finally {
            Files.writeString(go, "");
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(Files.readString(err)).isEqualTo("NOTE: Picked up JDK_JAVA_OPTIONS: -Dfake\nbefore\n"
                + "hlo4j: the filter of java's stderr (scripts/incubator.sh) ended with status 137; stderr may be incomplete\n");
    }

    /** The caller closes its end of stderr: no hang, java's exit status, with and without the module. */
    @Test
    void aClosedStderrEndsNothingEarly() throws Exception {
        for (Map<String, String> env : List.of(ON, Map.<String, String>of())) {
            Process p = start(fakeJdk, env, null, null, "big");
            p.getErrorStream().close();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s", env).isTrue();
            assertThat(p.exitValue()).as("%s", env).isEqualTo(3);
        }
    }

    /**
     * java sends the launcher SIGTERM and exits with 7 at once: the launcher passes the signal on, so java's status is 7
     * or 143 (killed by it first), never another. The launcher's second `wait` for java, after the trap interrupted the
     * first, lost the status now and then (bash said -1: exit 255, in most runs before the fix); also with
     * POSIXLY_CORRECT in the environment (bash's posix mode forgets a reported status).
     */
    @Test
    void aSignalAsJavaEndsKeepsItsStatus() throws Exception {
        for (Map<String, String> env : List.of(ON, Map.of("HLO4J_VECTOR", "1", "POSIXLY_CORRECT", "1"))) {
            for (int i = 0; i < 10; i++) {
                Run r = launchTold(env, "quick");
                assertThat(r.code()).as("run %d with %s: %s", i, env, r.err()).isIn(7, 143);
                assertThat(r.err()).isEqualTo("NOTE: Picked up JDK_JAVA_OPTIONS: -Dfake\nquick\n");
            }
        }
    }

    /** {@code ./hlo4j command FILE} with the stand-in, which finds the launcher's pid in FILE (written once it runs). */
    private static Run launchTold(Map<String, String> env, String command) throws Exception {
        Path told = Files.createTempFile(root, "pid", ".txt"), tmp = Files.createTempFile(root, "pid", ".tmp");
        Path out = Files.createTempFile(root, "out", ".txt"), err = Files.createTempFile(root, "err", ".txt");
        Process p = start(fakeJdk, env, null, err, new String[]{command, told.toString()}, out);
        Files.writeString(tmp, Long.toString(p.pid()));
        Files.move(tmp, told, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        Files.delete(told);
        return r;
    }

    /**
     * A SIGTERM to the launcher after java ended while the filter still copies (java's child holds its stderr): the
     * launcher still returns only after the child's last line, with java's status.
     */
    @Test
    void aSignalWhileTheFilterCopiesDoesNotCutStderr() throws Exception {
        for (Map<String, String> env : List.of(ON, Map.of("HLO4J_VECTOR", "1", "POSIXLY_CORRECT", "1"))) {
            Run r = launchTold(env, "late");
            assertThat(r.code()).as("%s", env).isEqualTo(7);
            assertThat(r.err()).as("%s", env).isEqualTo("NOTE: Picked up JDK_JAVA_OPTIONS: -Dfake\nquick\nsignal sent\nlate child line\n");
        }
    }

    /**
     * In a terminal (script(1) gives the launcher one, as an interactive shell's foreground job): java is in the
     * terminal's foreground process group (the launcher has no job control, so its job stays in its group), reads what
     * is typed without SIGTTIN, and Ctrl-C reaches it.
     */
    @Test
    void javaReadsTheTerminalAndGetsCtrlC() throws Exception {
        assertThat(Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).map(d -> Path.of(d, "script")))
                .as("script on PATH (util-linux)").anyMatch(Files::isExecutable);
        for (Map<String, String> env : List.of(ON, Map.<String, String>of())) {
            ProcessBuilder pb = new ProcessBuilder("script", "-qec", "bash " + root.resolve("hlo4j") + " tty", "/dev/null")
                    .directory(root.toFile()).redirectErrorStream(true);
            environment(pb, fakeJdk, env);
            Process p = pb.start();
            StringBuffer out = new StringBuffer();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (var in = p.getInputStream()) {
                    byte[] b = new byte[4096];
                    for (int n; (n = in.read(b)) > 0; ) out.append(new String(b, 0, n, StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            try (OutputStream in = p.getOutputStream()) {
                awaitText(out, "tpgid");
                in.write("typed line\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                awaitText(out, "waiting");
                in.write(3); // the terminal's Ctrl-C
                in.flush();
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s", env).isTrue();
            }
            reader.join(10_000);
            String text = out.toString();
            assertThat(text).as("%s", env).contains("read: typed line", "got INT");
            assertThat(p.exitValue()).as("%s: %s", env, text).isEqualTo(130);
            var m = java.util.regex.Pattern.compile("pgrp (\\d+) tpgid (\\d+)").matcher(text);
            assertThat(m.find()).isTrue();
            assertThat(m.group(1)).as("java's process group is the terminal's foreground group").isEqualTo(m.group(2));
        }
    }

    private static void awaitText(StringBuffer out, String text) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!out.toString().contains(text) && System.nanoTime() < until) Thread.sleep(50);
        assertThat(out.toString()).as("terminal output").contains(text);
    }

    private static byte[] bytes(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The stand-in's stderr, as bytes. */
    private static byte[] launchBytes(Map<String, String> env, String... args) throws Exception {
        Path err = Files.createTempFile(root, "err", ".bin");
        Process p = start(fakeJdk, env, null, err, args);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(5);
        byte[] b = Files.readAllBytes(err);
        Files.delete(err);
        return b;
    }

    // ---- helpers ----

    record Run(int code, String out, String err) {}

    private static Run launch(Path jdk, Map<String, String> env, String... args) throws Exception {
        return launch(jdk, env, null, null, args);
    }

    /** Runs {@code ./hlo4j args} with stdin from {@code in} (or nothing), stdout to {@code outFile} (or a scratch file). */
    private static Run launch(Path jdk, Map<String, String> env, Path in, Path outFile, String... args) throws Exception {
        Path out = outFile != null ? outFile : Files.createTempFile(root, "out", ".txt");
        Path err = Files.createTempFile(root, "err", ".txt");
        Process p = start(jdk, env, in, err, args, out);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("./hlo4j %s ended", String.join(" ", args)).isTrue();
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    private static Process start(Path jdk, Map<String, String> env, Path in, Path err, String... args) throws IOException {
        return start(jdk, env, in, err, args, null);
    }

    /** {@code ./hlo4j args}: stdin from {@code in} (else a pipe), stdout to {@code out} (else discarded), stderr to {@code err}. */
    private static Process start(Path jdk, Map<String, String> env, Path in, Path err, String[] args, Path out) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("hlo4j").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        environment(pb, jdk, env);
        if (in != null) pb.redirectInput(in.toFile());
        pb.redirectOutput(out != null ? ProcessBuilder.Redirect.to(out.toFile()) : ProcessBuilder.Redirect.DISCARD);
        if (err != null) pb.redirectError(err.toFile());
        else pb.redirectError(ProcessBuilder.Redirect.PIPE);
        return pb.start();
    }

    private static void environment(ProcessBuilder pb, Path jdk, Map<String, String> env) {
        pb.environment().keySet().removeIf(k -> k.startsWith("HLO4J_") || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS")
                || k.equals("_JAVA_OPTIONS") || k.equals("LAUNCHER_TEST_FDS") || k.equals("POSIXLY_CORRECT"));
        pb.environment().put("HLO4J_NO_BUILD", "1");
        pb.environment().put("HLO4J_AOT", "0"); // LauncherAotCacheTest is the cache's test
        pb.environment().put("JAVA_HOME", jdk.toString());
        pb.environment().putAll(env);
    }

    private static List<String> lastJavaArgs() throws IOException {
        List<String> lines = Files.readAllLines(javaLog);
        return List.of(lines.get(lines.size() - 1).split("\u0001"));
    }

    /** What the stand-in java last logged: "module: OPTIONS" or "no module: OPTIONS" (the JVM options it was given). */
    private static String fakeLog() throws IOException {
        List<String> lines = Files.readAllLines(root.resolve("fake-java.log"));
        return lines.get(lines.size() - 1);
    }

    private static String example(String name) {
        return LauncherCheckout.repo().resolve("docs/examples").resolve(name).toString();
    }

    /**
     * A JDK whose release file names {@code modules} and whose bin/java is a shell script: it logs its JVM options,
     * prints a launcher note and, when given {@code --add-modules jdk.incubator.vector}, the JVM's warning, both to
     * stderr, then runs its command (the first argument after the main class).
     */
    private static Path fakeJdk(String name, String modules) throws IOException {
        Path jdk = root.resolve(name);
        Files.createDirectories(jdk.resolve("bin"));
        Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"25.0.3\"\nMODULES=\"" + modules + "\"\n");
        Files.writeString(jdk.resolve("bin/javac"), "#!/bin/sh\nexit 0\n");
        Files.writeString(jdk.resolve("bin/java"), """
                #!/bin/sh
                mod=""; opts=""
                while [ $# -gt 0 ] && [ "$1" != io.hlo4j.cli.Main ]; do
                    case "$1" in jdk.incubator.vector) mod=1;; esac
                    case "$1" in -Dhlo4j.root=*|-cp) ;; *) [ "$prev" = -cp ] || opts="$opts $1";; esac
                    prev=$1; shift
                done
                shift
                if [ -n "$mod" ]; then echo "module:$opts"; else echo "no module:$opts"; fi >> '%s'
                if [ "$1" = big ]; then trap '' PIPE; fi # as the JVM: a write to a closed stderr fails, and java goes on
                if [ "$1" = many ]; then seq 1 20000 | sed 's/^/a JVM start-up line before the warning /' >&2; exit 4; fi
                if [ "$1" = bytes ]; then
                    printf 'NOTE: a\\000b\\377\\376 ' >&2; head -c 200000 /dev/zero | tr '\\000' x >&2; echo >&2
                    if [ -n "$mod" ]; then echo '%s' >&2; fi
                    printf 'after\\000\\376\\n%s\\n' >&2; head -c 200000 /dev/zero | tr '\\000' y >&2; exit 5
                fi
                echo 'NOTE: Picked up JDK_JAVA_OPTIONS: -Dfake' >&2
                if [ -n "$mod" ]; then echo '%s' >&2; fi
                case "$1" in
                lines)
                    echo e1 >&2; echo o1; echo '%s' >&2; echo e2 >&2; printf 'e3 without a newline' >&2; exit "$2";;
                stdin)
                    exec cat;;
                big)
                    head -c 4000000 /dev/zero | tr '\\000' x >&2; echo >&2; echo end >&2; exit 3;;
                partial)
                    printf 'progress 1/2' >&2
                    while [ ! -e "$2" ]; do sleep 0.05; done
                    printf '\\rprogress 2/2\\n' >&2;;
                selfkill)
                    echo before >&2; kill -KILL $$;;
                filterkill)
                    echo before >&2; echo ready > "$2"
                    while [ ! -e "$3" ]; do sleep 0.05; done
                    trap '' PIPE; echo after >&2; exit 0;; # the JVM ignores SIGPIPE too
                quick)
                    while [ ! -s "$2" ]; do sleep 0.01; done; read -r launcher < "$2"
                    echo quick >&2; kill -TERM "$launcher"; exit 7;;
                late)
                    while [ ! -s "$2" ]; do sleep 0.01; done; read -r launcher < "$2"
                    echo quick >&2
                    (sleep 1; kill -TERM "$launcher"; echo "signal sent" >&2; sleep 1; echo "late child line" >&2) &
                    exit 7;;
                tty)
                    awk '{print "pgrp " $5 " tpgid " $8}' /proc/$$/stat >&2
                    read -r line; echo "read: $line"
                    trap 'echo "got INT"; exit 130' INT
                    echo waiting
                    while :; do sleep 0.1; done;;
                signal)
                    trap 'echo "got TERM" >&2; kill $s; exit 143' TERM
                    trap 'echo "got INT" >&2; kill $s; exit 130' INT
                    grep SigIgn /proc/$$/status >&2
                    sleep 120 >/dev/null 2>&1 &
                    s=$!
                    echo ready > "$2"
                    wait $s;;
                esac
                """.formatted(root.resolve("fake-java.log"), WARNING, WARNING, WARNING, WARNING));
        for (String f : List.of("bin/java", "bin/javac")) {
            Files.setPosixFilePermissions(jdk.resolve(f), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return jdk;
    }
}
