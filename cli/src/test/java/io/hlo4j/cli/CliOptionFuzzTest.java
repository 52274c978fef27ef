package io.hlo4j.cli;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random command lines built from picocli's own model of the CLI (every command path, each with its real options and
 * positional parameters) with junk, edge and sometimes valid values, run in-process: each must end with exit 0, or
 * 1/2 and one line that names the problem ({@link CliFuzz#judge}); never a stack trace, an internal error or a hang.
 * Deterministic: command line {@code i} comes from {@code Random(caseSeed(SEED, i))} alone (SplitMix64 of
 * {@code SEED + i}: Random's first draw barely changes across consecutive seeds), and a failure names its number.
 * {@code -Dhlo4j.clifuzz.options=N} (default {@value #DEFAULT_CASES}) and {@code -Dhlo4j.clifuzz.seed=S} run more or others.
 *
 * <p>Every path value is absolute, under the test's temporary folder (a junk relative path given to {@code -o} would
 * write into the module's folder, which the test checks it leaves alone). Values that make a command do long but
 * legitimate work (a benchmark of the whole conformance set, thousands of training steps) are kept out of the pools,
 * {@code demo} (seconds whatever its options) and the multi-process options (a coordinator listens and waits) out of the draw: the point is how arguments are refused, not how fast models train.
 */
class CliOptionFuzzTest {
    static final int DEFAULT_CASES = 100;
    static final int CASES = Integer.getInteger("hlo4j.clifuzz.options", DEFAULT_CASES);
    static final long SEED = Long.getLong("hlo4j.clifuzz.seed", 0x0C11_0A7L);

    /** Options of a multi-process run (a coordinator listens and waits for its peers), never drawn. */
    static final List<String> MULTI_PROCESS = List.of("--num-processes", "--process-id", "--coordinator");
    /** Commands whose legitimate work takes seconds whatever their options ({@code demo} traces and runs a model): never drawn. */
    static final Set<String> LONG = Set.of("demo");

    @TempDir Path dir;

    /** A command path and its spec (e.g. [examples, run]). */
    record Cmd(List<String> path, CommandSpec spec) {}

    @Test
    void randomCommandLinesEndInOneLineOrSuccess() throws IOException {
        Pools pools = new Pools(dir);
        List<Cmd> cmds = commands().stream().filter(c -> !LONG.contains(String.join(" ", c.path()))).toList();
        assertThat(cmds.stream().map(c -> String.join(" ", c.path())).toList()).contains("run", "print", "dump", "examples run", "moe run");
        Path cwd = Path.of("").toAbsolutePath();
        Set<String> before = listing(cwd);
        try (CliFuzz fuzz = new CliFuzz()) {
            for (int i = 0; i < CASES; i++) {
                long caseSeed = caseSeed(SEED, i);
                Random r = new Random(caseSeed);
                List<String> args = commandLine(cmds.get(r.nextInt(cmds.size())), pools, r);
                long t0 = System.nanoTime();
                // print, verify and conformance take several files and say one line for each that fails
                int lines = Math.max(1, args.size() - 1);
                String cmd = args.isEmpty() ? "" : args.get(0);
                boolean multi = cmd.equals("print") || cmd.equals("verify") || cmd.equals("conformance");
                fuzz.check(multi ? lines : 1, "command line " + i + " (Random(" + caseSeed + "))", args.toArray(String[]::new));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (ms > 1_000) System.out.println("command line " + i + " took " + ms + " ms: " + String.join(" ", args));
            }
            System.out.println(fuzz.summary("CLI option fuzz over " + cmds.size() + " command paths"));
            assertThat(fuzz.failureLines()).as(fuzz.summary("failures")).isEmpty();
            // not vacuous: usage errors, input failures and successes all occur
            assertThat(fuzz.codes.getOrDefault(2, 0)).isGreaterThan(CASES / 5);
            assertThat(fuzz.codes.getOrDefault(1, 0)).isGreaterThan(CASES / 20);
            assertThat(fuzz.codes.getOrDefault(0, 0)).isGreaterThan(CASES / 20);
        }
        assertThat(listing(cwd)).as("the module's folder is left alone").isEqualTo(before);
    }

    /**
     * Found by this fuzz (command line 8, seed 12652719): a NUL byte in a path argument printed picocli's "cannot convert
     * '\0' to interface java.nio.file.Path (java.nio.file.InvalidPathException: Nul character not allowed: ...)", an
     * exception's name and a raw NUL on the one line. Now the line names the parameter and the reason, NUL escaped.
     */
    @Test
    void aNulBytePathIsAUsageErrorNamingTheParameter() throws IOException {
        Path add = Files.copy(Path.of("..").toAbsolutePath().normalize().resolve("docs/examples/add.mlir"), dir.resolve("add.mlir"));
        Cli.Run r = Cli.run("diff", add.toString(), "\u0000");
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("hlo4j diff: invalid path '\\u0000' for parameter B: Nul character not allowed (see 'hlo4j diff --help')\n");
        Cli.Run o = Cli.run("run", add.toString(), "-o", "out\u0000dir");
        assertThat(o.code()).as(o.toString()).isEqualTo(2);
        assertThat(o.err()).isEqualTo("hlo4j run: invalid path 'out\\u0000dir' for option '--output': Nul character not allowed (see 'hlo4j run --help')\n");
        Cli.Run n = Cli.run("diff", "--max-hunks", "1\u0007", add.toString(), add.toString());
        assertThat(n.code()).as(n.toString()).isEqualTo(2);
        assertThat(n.err()).hasLineCount(1).contains("'1\\u0007'").doesNotContain("\u0007");
    }

    /**
     * Found by this fuzz (command line 46, seed 12652757): {@code bench parse} of one file that does not parse printed
     * two lines, the file's error and "no .mlir file under FILE parses and verifies". One file's failure is one line.
     */
    @Test
    void benchParseOfOneBadFileIsOneLine() throws IOException {
        Path bad = Files.write(dir.resolve("x.npy"), new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) 0xff});
        Cli.Run r = Cli.run("bench", "parse", bad.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hlo4j: " + bad + ": not valid UTF-8 text (byte 0x93 at offset 0); it is a .npy array (it starts with "
                + "\\x93NUMPY), not text\n");
        // a folder whose files all fail: each file's line, then the summary
        Path folder = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(folder.resolve("a.mlir"), "func.func @main(");
        Cli.Run f = Cli.run("bench", "parse", folder.toString());
        assertThat(f.code()).as(f.toString()).isEqualTo(1);
        assertThat(f.err()).hasLineCount(2).endsWith("hlo4j: no .mlir file under " + folder + " parses and verifies; nothing to measure\n");
    }

    /**
     * Found by this fuzz (command line 261, seed 268, {@code bench parse /}): a folder the walk may not read (here
     * {@code /proc/1/task/1/fdinfo}) came out of Files.walk as an UncheckedIOException, printed as "internal error:
     * java.io.UncheckedIOException: java.nio.file.AccessDeniedException: ...". It is now the file error it wraps.
     */
    @Test
    void anUnreadableFolderUnderAWalkIsAFileError() {
        assertThat(Diagnostics.describe(null, new java.io.UncheckedIOException(new java.nio.file.AccessDeniedException("/proc/1/task/1/fdinfo"))))
                .isEqualTo("/proc/1/task/1/fdinfo: permission denied");
        assertThat(Diagnostics.isInternal(new java.io.UncheckedIOException(new java.io.IOException("x")))).isFalse();
        // the command itself, where this machine has such a folder (containers deny /proc/1's fdinfo even to root)
        Path proc = Path.of("/proc/1/task/1");
        boolean denied;
        try (Stream<Path> s = Files.walk(proc)) {
            s.count();
            denied = false;
        } catch (IOException | java.io.UncheckedIOException | SecurityException e) {
            denied = true;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(denied, "no folder under /proc/1/task/1 is unreadable here");
        Cli.Run r = Cli.run("bench", "parse", proc.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).hasLineCount(1).startsWith("hlo4j: /proc/1/task/1/").endsWith(": permission denied\n");
    }

    /**
     * Found by this fuzz once its cases were mixed (command line 0): {@code conformance FILE} of a file that fails
     * exits 1 with its verdict on stdout and nothing on stderr, as diff(1) does; the judge takes that as the verdict
     * ({@link CliFuzz#verdictOnStdout}), and still fails the same exit with nothing anywhere.
     */
    @Test
    void conformanceOfAFailingFileIsItsVerdictOnStdout() throws IOException {
        Path json = Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 4, \"num_experts\": 2}");
        Cli.Run r = Cli.run("conformance", json.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("ERROR " + json + ": parse: " + json + ":1:1: ")
                .endsWith("conformance summary: 0 of 1 files passed (0.0%), 1 failed, 0 skipped\n");
        assertThat(CliFuzz.verdictOnStdout(new String[] {"conformance", json.toString()}, r)).isTrue();
        assertThat(CliFuzz.verdictOnStdout(new String[] {"run", json.toString()}, r)).isFalse();
        assertThat(CliFuzz.judge(r)).isEqualTo("no message");
    }

    /** The seed of case {@code i} ({@link io.hlo4j.mlir.testing.CaseSeeds}). */
    static long caseSeed(long seed, int i) { return io.hlo4j.mlir.testing.CaseSeeds.of(seed, i); }

    /** Every command path of the real CLI, the root and the groups included. */
    static List<Cmd> commands() {
        StringWriter sink = new StringWriter();
        CommandLine root = Main.commandLine(new Main(), new PrintWriter(sink), new PrintWriter(sink));
        List<Cmd> out = new ArrayList<>();
        walk(root, new ArrayList<>(), out);
        return out;
    }

    private static void walk(CommandLine cl, List<String> path, List<Cmd> out) {
        out.add(new Cmd(List.copyOf(path), cl.getCommandSpec()));
        for (var e : cl.getSubcommands().entrySet()) {
            if (!e.getValue().getCommandName().equals(e.getKey())) continue; // aliases: once
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            walk(e.getValue(), p, out);
        }
    }

    /** One random command line for {@code c}: its path, some of its options (valid or junk values), its positionals, sometimes a stray token. */
    static List<String> commandLine(Cmd c, Pools pools, Random r) {
        List<String> args = new ArrayList<>(c.path());
        String name = String.join(" ", c.path());
        List<OptionSpec> options = new ArrayList<>();
        for (OptionSpec o : c.spec().options()) {
            if (o.longestName().equals("--verbose")) continue; // --verbose prints stack traces by design
            // a multi-process run listens on a port and waits for its peers: not something one in-process case may start
            if (MULTI_PROCESS.stream().anyMatch(m -> o.longestName().startsWith(m))) continue;
            options.add(o);
        }
        int nOpts = options.isEmpty() ? 0 : r.nextInt(4);
        for (int k = 0; k < nOpts; k++) {
            OptionSpec o = options.get(r.nextInt(options.size()));
            String flag = o.names()[r.nextInt(o.names().length)];
            if (o.arity().max() == 0) {
                args.add(r.nextInt(10) == 0 ? flag + "=" + pools.junk(r) : flag);
                continue;
            }
            String v = pools.value(name, o.longestName(), o.paramLabel(), o.type(), r);
            if (r.nextInt(15) == 0) { args.add(flag); continue; } // a missing value (or the next token taken as one)
            if (r.nextInt(4) == 0) args.add(flag + "=" + v);
            else { args.add(flag); args.add(v); }
        }
        List<PositionalParamSpec> positionals = c.spec().positionalParameters();
        for (PositionalParamSpec p : positionals) {
            int min = p.arity().min(), max = Math.min(p.arity().max(), 3);
            if (name.equals("bench parse")) min = 1; // without PATH it benchmarks the whole conformance set
            int n = min + (max > min ? r.nextInt(max - min + 1) : 0);
            if (r.nextInt(12) == 0) n = Math.max(0, n - 1); // one too few
            for (int k = 0; k < n; k++) args.add(pools.value(name, p.paramLabel(), p.paramLabel(), p.type(), r));
        }
        if (r.nextInt(6) == 0) args.add(r.nextInt(args.size() + 1), pools.stray(r));
        return args;
    }

    private static Set<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    /** Values for options and parameters, chosen by what the option holds. */
    static final class Pools {
        final List<String> files = new ArrayList<>();
        final List<String> outputs = new ArrayList<>();
        final List<String> npys = new ArrayList<>();

        Pools(Path dir) throws IOException {
            Path examples = Path.of("..").toAbsolutePath().normalize().resolve("docs/examples");
            Path add = Files.copy(examples.resolve("add.mlir"), dir.resolve("add.mlir"));
            Path sharded = Files.copy(examples.resolve("sharded.mlir"), dir.resolve("sharded.mlir"));
            Path bad = Files.writeString(dir.resolve("bad.mlir"), "func.func @main(%a: tensor<2xf32>) -> tensor<3xf32> {\n  return %a : tensor<2xf32>\n}\n");
            Path empty = Files.writeString(dir.resolve("empty.mlir"), "");
            Path json = Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 4, \"num_experts\": 2}");
            Path folder = Files.createDirectories(dir.resolve("folder"));
            Files.copy(add, folder.resolve("a.mlir"));
            Path x = dir.resolve("x.npy");
            Npy.write(x, HostArray.fromFloats(TensorType.of(FloatType.F32, 4), 1, 2, 3, 4));
            Path bin = Files.write(dir.resolve("junk.so"), new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 3});
            for (Path p : List.of(add, add, sharded, bad, empty, json, folder, x, bin)) files.add(p.toString());
            files.add(dir.resolve("missing.mlir").toString());
            files.add(dir.resolve("missing/deeper/x.mlir").toString());
            files.add(add + "/under-a-file");
            files.add("");
            files.add("/proc/1/task/1"); // not "/": conformance would run every .mlir file on the machine
            files.add(dir.resolve("a\u00e9\u202e.mlir").toString());
            files.add(dir.resolve("new\nline.mlir").toString()); // control characters: the one line must show them escaped
            files.add(dir.resolve("esc\u001b[31m.mlir").toString());
            npys.add(x.toString());
            npys.add(add.toString());
            npys.add(folder.toString());
            npys.add(dir.resolve("missing.npy").toString());
            for (String o : List.of("out", "out/nested/deeper", "add.mlir", "folder", "out.svg", "out.json")) outputs.add(dir.resolve(o).toString());
            outputs.add(add + "/child");
            outputs.add(dir.resolve("new\nline-out").toString());
            outputs.add(dir.resolve("esc\u001b[31m-out").toString());
        }

        private static final String[] INTS = {"0", "1", "2", "3", "8", "-1", "-2147483648", "2147483647", "2147483648", "99999999999999999999",
                "1.5", "0x10", "1e3", "abc", "", " 2", "\uff12", "+4", "1_000", "NaN"};
        private static final String[] SMALL_INTS = {"0", "1", "2", "-1", "-2147483648", "99999999999999999999", "1.5", "abc", "", "\uff12"};
        private static final String[] MESHES = {"dp=2", "dp=1,fsdp=2,ep=2,tp=2,sp=1", "ep=2", "tp=4", "dp=3", "x=2", "dp=0", "dp=-1",
                "dp=2,dp=2", "dp=99999999999", "dp=2147483648", "dp=65536,tp=65536", "dp", "=2", "dp=", "dp=2;ep=2", "dp=2,", ",", "",
                "dp=2,fsdp=2,ep=2,tp=2,sp=2", "DP=2", "dp=\u0662", "dp = 2"};
        private static final String[] STRINGS = {"main", "@main", "nope", "", "%", "-x", "--", "\u00e9\u00e8", "\u0000", "a b", "{}",
                "h100", "tpu-v5e", "global", "annotated", "explicit", "traced", "propagated", "partitioned", "auto", "ring", "replicated",
                "token-sharded", "FUSED", "STANDARD", "DENSE", "fused", "loss", "grad", "current", "upstream", "moe", "mlp", "nope-model",
                "java.lang.String", "io.hlo4j.cli.Main", "x".repeat(10_000), "key=1", "key=", "=v", "num_nodes=2", "node_id=0",
                "localhost:1", "localhost:99999", "host", ":", "[::1]:80", "a:b:c"};
        private static final String[] STRAYS = {"--nope", "-", "--", "-x", "", "\u00e9", "--verbose=maybe", "-Z", "--=", "@missing-args-file",
                "--input", "-o", "\u0000"};

        /** A value for the option {@code name} (its longest name or label) of command {@code cmd}. */
        String value(String cmd, String name, String label, Class<?> type, Random r) {
            String l = label == null ? "" : label.toUpperCase(java.util.Locale.ROOT);
            if (name.equals("--steps") || name.equals("--repeat") || name.equals("--warmup")) return pick(SMALL_INTS, r);
            if (name.equals("--mesh")) return pick(MESHES, r);
            if (name.equals("--input") && !cmd.equals("moe run")) return pick(npys, r);
            if (name.equals("--classpath")) return r.nextBoolean() ? pick(files, r) : pick(files, r) + ":" + pick(files, r);
            if (name.equals("--pjrt-option")) return pick(STRINGS, r);
            if (type == Path.class || type == java.io.File.class || l.contains("FILE") || l.contains("DIR") || l.contains("PATH")
                    || l.contains("OUT") || l.endsWith(".NPY") || l.equals("A") || l.equals("B")) {
                boolean output = name.equals("-o") || name.startsWith("--output") || name.startsWith("--dump") || name.equals("--svg")
                        || name.equals("--dot") || name.equals("--collectives-report") || l.contains("OUT");
                if (output) return pick(outputs, r); // only ever a path under the temporary folder: tests run as root
                if (r.nextInt(5) == 0) return pick(STRINGS, r).isEmpty() ? "" : pick(files, r);
                return pick(files, r);
            }
            if (type == int.class || type == Integer.class || type == long.class || type == Long.class || l.equals("N") || l.equals("SECONDS")
                    || l.equals("I") || l.equals("B") || l.equals("S")) return pick(INTS, r);
            return r.nextInt(8) == 0 ? junk(r) : pick(STRINGS, r);
        }

        String junk(Random r) { return r.nextBoolean() ? pick(INTS, r) : pick(STRINGS, r); }

        String stray(Random r) { return pick(STRAYS, r); }

        private static String pick(String[] a, Random r) { return a[r.nextInt(a.length)]; }

        private static String pick(List<String> a, Random r) { return a.get(r.nextInt(a.size())); }
    }
}
