package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Output paths, config files and flags given carelessly to {@code dump}, {@code moe run}, {@code graph}, {@code shardings},
 * {@code conformance} and {@code bench parse}: one line naming the path or flag, nothing printed or written first.
 */
class HostilePathsTest {
    @TempDir Path dir;

    private static final Path EXAMPLES = Path.of("..", "docs", "examples").toAbsolutePath().normalize();
    private static final Path MOE = EXAMPLES.resolve("moe");
    private static final byte[] NOT_UTF8 = {(byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0xFE, 0x00, 0x41};

    private static void refused(Cli.Run r, int code, String err) {
        assertThat(r.code()).as(r.toString()).isEqualTo(code);
        assertThat(r.err()).as(r.toString()).isEqualTo(err);
        assertThat(r.out()).as(r.toString()).isEmpty();
    }

    private Path file(String name) throws IOException { return Files.writeString(dir.resolve(name), "x"); }

    @Test void dumpOutputs() throws IOException {
        refused(Cli.run("dump", "mlp", "-o", dir.toString()), 1, "hlo4j: " + dir + ": is a directory (-o takes a file name)\n");
        Path f = file("f");
        Path under = f.resolve("x.mlir");
        refused(Cli.run("dump", "mlp", "-o", under.toString()), 1, "hlo4j: " + under + ": " + f + " is a file, not a directory (-o)\n");
        // missing folders are created, as run -o and moe run --dump do
        Path deep = dir.resolve("a/b/mlp.mlir");
        Cli.Run ok = Cli.run("dump", "mlp", "-o", deep.toString());
        assertThat(ok.code()).as(ok.toString()).isZero();
        assertThat(Files.readString(deep)).startsWith("module @jit_main");
    }

    @Test void builtinModelsAreLocatedByName() {
        // the CLI's own Java line meant nothing to its user
        Cli.Run r = Cli.run("dump", "moe", "--emit", "annotated", "--mesh", "ep=3");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).isEqualTo("hlo4j: dump moe (B=2, S=8) on mesh [\"dp\"=1, \"fsdp\"=1, \"ep\"=3, \"tp\"=1, \"sp\"=1]: "
                + "wi [E=8, H=64, M=128] is split P(ep, None, tp): E = 8 (n_routed_experts) does not divide over ep=3 (3 shards)\n");
        refused(Cli.run("dump", "moe", "--emit", "annotated", "--mesh", "dp=100000,tp=100000"), 2, "hlo4j dump: --mesh dp=100000,tp=100000 "
                + "has 10000000000 devices; a mesh has at most 16777216 devices (see 'hlo4j dump --help')\n");
    }

    /** Every command's --mesh is read by one parser: the same limit, the same line, before any work. */
    @Test void everyMeshHasTheSameLimit() {
        String mesh = "dp=65536,fsdp=65536,ep=65536,tp=65536";
        String line = ": --mesh " + mesh + " has at least 4294967296 (dp=65536 x fsdp=65536) devices; a mesh has at most 16777216 devices";
        refused(Cli.run("dump", "moe", "--emit", "annotated", "--mesh", mesh), 2, "hlo4j dump" + line + " (see 'hlo4j dump --help')\n");
        refused(Cli.run("demo", "--mesh", mesh), 2, "hlo4j demo" + line + " (see 'hlo4j demo --help')\n");
        refused(Cli.run("examples", "run", "mlp-regression", "--mesh", mesh), 2,
                "hlo4j examples run" + line + " (see 'hlo4j examples run --help')\n");
        refused(Cli.run("moe", "run", "--config", MOE.resolve("config.json").toString(), "--weights", MOE.toString(), "--input",
                MOE.resolve("x.npy").toString(), "-o", dir.resolve("out").toString(), "--mesh", mesh), 2,
                "hlo4j moe run" + line + " (see 'hlo4j moe run --help')\n");
        refused(Cli.run("moe", "run", "--config", MOE.resolve("config.json").toString(), "--weights", MOE.toString(), "--input",
                MOE.resolve("x.npy").toString(), "-o", dir.resolve("out").toString(), "--mesh", "ep=-1", "--devices", "0"), 2,
                "hlo4j moe run: --devices must be at least 1, got 0 (see 'hlo4j moe run --help')\n");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test void moeRunWithAMeshNoModeFitsSaysWhy() {
        // x holds 3 tokens; dp = 2 cannot split them in any EP mode
        refused(Cli.run("moe", "run", "--config", MOE.resolve("config.json").toString(), "--weights", MOE.toString(), "--input",
                MOE.resolve("x.npy").toString(), "-o", dir.resolve("out").toString(), "--mesh", "dp=2"), 1,
                "hlo4j: expert-parallel FUSED, mode auto: no mode fits: the 3 tokens do not divide over the 2 shards of "
                        + "the dp axes [dp] on mesh [\"dp\"=2, \"fsdp\"=1, \"ep\"=1, \"tp\"=1, \"sp\"=1]\n");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test void aWriteTheKernelRefusesNamesTheFile() {
        Path version = Path.of("/proc/version"); // Linux: writing it fails with EIO (root) or EACCES, neither naming it
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(version));
        Cli.Run r = Cli.run("dump", "mlp", "-o", version.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).startsWith("hlo4j: /proc/version: ").hasLineCount(1);
    }

    @Test void anEmptyPathIsSaidToBeOne() {
        refused(Cli.run("verify", ""), 1, "hlo4j: '' (an empty path): is a directory\n");
        refused(Cli.run("run", EXAMPLES.resolve("add.mlir").toString(), "--input", ""), 1,
                "hlo4j: '' (an empty path): is a directory (--input takes a file)\n");
    }

    @Test void dumpRefusesShapeFlagsThatAModelIgnores() {
        refused(Cli.run("dump", "mlp", "--batch", "4"), 2,
                "hlo4j dump: --batch and --seq apply only to the moe model (mlp has fixed shapes) (see 'hlo4j dump --help')\n");
        refused(Cli.run("dump", "moe-regression", "--seq", "3"), 2,
                "hlo4j dump: --batch and --seq apply only to the moe model (moe-regression has fixed shapes) (see 'hlo4j dump --help')\n");
    }

    @Test void configFilesAreNamed() throws IOException {
        refused(Cli.run("dump", "moe", "--config", dir.toString()), 1, "hlo4j: " + dir + ": is a directory\n");
        Path bin = Files.write(dir.resolve("bin.json"), NOT_UTF8);
        refused(Cli.run("dump", "moe", "--config", bin.toString()), 1, "hlo4j: " + bin + ": not valid UTF-8 text (byte 0xC3 at offset 0)\n");
        Path empty = Files.writeString(dir.resolve("empty.json"), "\n");
        refused(Cli.run("dump", "moe", "--config", empty.toString()), 1,
                "hlo4j: " + empty + ": is empty; a moe config is a JSON object (keys as in docs/moe.md, e.g. n_routed_experts)\n");
        Path cut = Files.writeString(dir.resolve("cut.json"), "{\"n_routed_experts\": 4,\n  \"hidden_size\": ");
        Cli.Run r = Cli.run("dump", "moe", "--config", cut.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).startsWith("hlo4j: " + cut + ":2:").contains(": not valid JSON: ")
                .doesNotContain("REDACTED").hasLineCount(1);
        Path wrong = Files.writeString(dir.resolve("wrong.json"), "{\"num_experts\": 4}");
        assertThat(Cli.run("dump", "moe", "--config", wrong.toString()).err()).startsWith("hlo4j: " + wrong + ": unknown key(s) [num_experts]");
    }

    @Test void moeRunChecksEveryPathBeforeTracing() throws IOException {
        String[] common = {"moe", "run", "--config", MOE.resolve("config.json").toString(), "--weights", MOE.toString(),
                "--input", MOE.resolve("x.npy").toString(), "-o", dir.resolve("out").toString()};
        refused(Cli.run(concat(common, "--dump", dir.toString())), 1, "hlo4j: " + dir + ": is a directory (--dump takes a file name)\n");
        Path f = file("f");
        refused(Cli.run(concat(common, "--mesh", "ep=2", "--dump-dir", f.toString())), 1,
                "hlo4j: " + f + ": exists and is not a directory (--dump-dir)\n");
        refused(Cli.run(concat(common, "--mesh", "ep=2", "--collectives-report", f.resolve("c.json").toString())), 1,
                "hlo4j: " + f.resolve("c.json") + ": " + f + " is a file, not a directory (--collectives-report)\n");
        assertThat(dir.resolve("out")).doesNotExist();
        refused(Cli.run("moe", "run", "--config", MOE.resolve("config.json").toString(), "--weights", MOE.toString(), "--input",
                dir.toString(), "-o", dir.resolve("out").toString()), 1, "hlo4j: " + dir + ": is a directory (--input takes a file)\n");
        refused(Cli.run("moe", "run", "--config", dir.toString(), "--weights", MOE.toString(), "--input",
                MOE.resolve("x.npy").toString(), "-o", dir.resolve("out").toString()), 1, "hlo4j: " + dir + ": is a directory (--config takes a file)\n");
        refused(Cli.run(concat(common, "--pjrt-option", "a=1")), 2,
                "hlo4j moe run: --pjrt-option needs --pjrt-plugin (or HLO4J_PJRT_PLUGIN) (see 'hlo4j moe run --help')\n");
    }

    @Test void graphAndShardingsOutputs() throws IOException {
        Path sharded = EXAMPLES.resolve("sharded.mlir");
        refused(Cli.run("graph", sharded.toString(), "--dot", dir.toString()), 1, "hlo4j: " + dir + ": is a directory (--dot takes a file name)\n");
        Path f = file("f");
        // nothing is printed before the refusal
        refused(Cli.run("shardings", sharded.toString(), "--svg", f.resolve("s.svg").toString()), 1,
                "hlo4j: " + f.resolve("s.svg") + ": " + f + " is a file, not a directory (--svg)\n");
        Path deep = dir.resolve("g/h/graph.dot");
        Cli.Run ok = Cli.run("graph", sharded.toString(), "--dot", deep.toString());
        assertThat(ok.code()).as(ok.toString()).isZero();
        assertThat(Files.readString(deep)).startsWith("digraph \"main\"");
    }

    @Test void conformanceFlagsOutOfRange() {
        String add = EXAMPLES.resolve("add.mlir").toString();
        refused(Cli.run("conformance", "--threads", "0", add), 2,
                "hlo4j conformance: --threads must be at least 1, got 0 (see 'hlo4j conformance --help')\n");
        refused(Cli.run("conformance", "--timeout", "-5", add), 2,
                "hlo4j conformance: --timeout must be between 1 and 604800 seconds, got -5 (see 'hlo4j conformance --help')\n");
    }

    @Test void hugeCountsAreBoundedOrRefused() {
        // -U past every file's length is the whole file; it used to overflow the hunk arithmetic
        Cli.Run all = Cli.run("diff", "-U", "2147483647", EXAMPLES.resolve("add.mlir").toString(), EXAMPLES.resolve("sharded.mlir").toString());
        Cli.Run some = Cli.run("diff", "-U", "1000", EXAMPLES.resolve("add.mlir").toString(), EXAMPLES.resolve("sharded.mlir").toString());
        assertThat(all.code()).as(all.toString()).isEqualTo(1);
        assertThat(all.err()).isEmpty();
        assertThat(all.out()).isEqualTo(some.out()).startsWith("--- ");
        refused(Cli.run("bench", "parse", "--repeat", "2000000000", EXAMPLES.resolve("add.mlir").toString()), 2,
                "hlo4j bench parse: --repeat must be between 1 and 10000, not 2000000000 (see 'hlo4j bench parse --help')\n");
    }

    @Test void filesThatAreNotTextAreNamed() throws IOException {
        Path bin = Files.write(dir.resolve("bin.mlir"), NOT_UTF8);
        Cli.Run conf = Cli.run("conformance", bin.toString());
        assertThat(conf.code()).isEqualTo(1);
        assertThat(conf.out()).startsWith("ERROR " + bin + ": cannot read: not valid UTF-8 text (byte 0xC3 at offset 0)\n");
        Cli.Run bench = Cli.run("bench", "parse", "--warmup", "0", "--repeat", "1", bin.toString());
        assertThat(bench.code()).isEqualTo(1);
        assertThat(bench.err()).startsWith("hlo4j: " + bin + ": not valid UTF-8 text (byte 0xC3 at offset 0)\n");
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /**
     * An output folder that cannot be made is refused before the program runs (nothing printed), even where its
     * parent looks writable: /proc, to root, passes the writable check but takes no new folders.
     */
    @Test void runRefusesAnOutputFolderThatCannotBeMadeBeforeRunning() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "Linux /proc");
        Path prog = Files.writeString(dir.resolve("c.mlir"), """
                func.func @main() -> tensor<2xf32> {
                  %0 = stablehlo.constant dense<[1.0, 2.0]> : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """);
        Path out = Path.of("/proc/hlo4j-no-such-folder/out");
        refused(Cli.run("run", prog.toString(), "-o", out.toString()), 1, "hlo4j: " + out + ": cannot create folders in /proc (-o)\n");
        Cli.Run ok = Cli.run("run", prog.toString(), "-o", dir.resolve("new/out").toString());
        assertThat(ok.code()).as(ok.toString()).isZero();
        assertThat(dir.resolve("new/out/result0.npy")).isRegularFile();
    }

    /** graph --svg follows the rule of every output path: missing folders are created (as dump -o above). */
    @Test void graphCreatesMissingFoldersLikeEveryOutput() throws IOException {
        Path prog = Files.writeString(dir.resolve("g.mlir"), """
                func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.negate %a : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """);
        Path dot = dir.resolve("x/y/g.dot");
        Cli.Run r = Cli.run("graph", prog.toString(), "--dot", dot.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Files.readString(dot)).contains("stablehlo.negate");
        Path f = file("plain");
        refused(Cli.run("graph", prog.toString(), "--dot", f.resolve("g.dot").toString()), 1,
                "hlo4j: " + f.resolve("g.dot") + ": " + f + " is a file, not a directory (--dot)\n");
    }
}
