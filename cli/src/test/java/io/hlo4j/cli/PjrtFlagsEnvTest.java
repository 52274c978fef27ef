package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link PjrtFlags}' rule for {@code HLO4J_PJRT_PLUGIN}, with the variable really set: child processes. */
class PjrtFlagsEnvTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    /** The variable alone: named in refusals, noted where unused, and an empty one is no plugin (child processes). */
    @Test
    void thePluginFromTheEnvironment(@TempDir Path dir) throws Exception {
        Path mock = CompileCommandTest.mock(), missing = dir.resolve("gone.so");
        Path add = ROOT.resolve("docs/examples/add.mlir");
        RunPluginEnvTest.Child stale = RunPluginEnvTest.withPluginInEnvironment(missing, "compile", add.toString());
        assertThat(stale.code()).as(stale.output()).isEqualTo(1);
        assertThat(stale.output()).isEqualTo("hlo4j: " + missing + ": no such file (HLO4J_PJRT_PLUGIN)\n");
        // the examples train on the backend the environment configures: its plugin is checked the same way, before training
        RunPluginEnvTest.Child example = RunPluginEnvTest.withPluginInEnvironment(missing, "examples", "run", "mlp-regression", "--steps", "1");
        assertThat(example.code()).as(example.output()).isEqualTo(1);
        assertThat(example.output()).isEqualTo("hlo4j: " + missing + ": no such file (HLO4J_PJRT_PLUGIN)\n");

        // run --spmd: the plugin is not used, said on stderr (stdout stays the results)
        Cli.Run in = Cli.run("run", ROOT.resolve("docs/examples/global-dot-inputs.mlir").toString(), "-o", dir.resolve("in").toString());
        assertThat(in.code()).as(in.toString()).isZero();
        RunPluginEnvTest.Child spmd = RunPluginEnvTest.withPluginInEnvironment(mock, "run", ROOT.resolve("docs/examples/global-dot.mlir").toString(),
                "--spmd", "--input", dir.resolve("in/result0.npy").toString(), "--input", dir.resolve("in/result1.npy").toString());
        assertThat(spmd.code()).as(spmd.output()).isZero();
        assertThat(spmd.output()).startsWith("note: --spmd runs the partitioned program on simulated devices; HLO4J_PJRT_PLUGIN ("
                + mock + ") is not used\n").contains("result0: tensor<4x4xf32> min 1.00000 max 33.0000 mean 9.75000");

        RunPluginEnvTest.Child emptyVar = RunPluginEnvTest.withPluginInEnvironment(Path.of(""), "run", add.toString(), "--pjrt-option", "a=1");
        assertThat(emptyVar.code()).as(emptyVar.output()).isEqualTo(2);
        assertThat(emptyVar.output()).isEqualTo("hlo4j run: --pjrt-option needs --pjrt-plugin (or HLO4J_PJRT_PLUGIN) (see 'hlo4j run --help')\n");
        assertThat(Files.exists(dir.resolve("out"))).isFalse();
    }

    /** The examples' backend reads the system property before the variable; their plugin check reads the same one. */
    @Test
    void examplesCheckThePluginThePropertyNames(@TempDir Path dir) {
        Path missing = dir.resolve("gone.so");
        String before = System.getProperty("hlo4j.pjrt.plugin");
        System.setProperty("hlo4j.pjrt.plugin", missing.toString());
        try {
            Cli.Run r = Cli.run("examples", "run", "mlp-regression", "--steps", "1");
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).isEqualTo("hlo4j: " + missing + ": no such file (-Dhlo4j.pjrt.plugin)\n");
        } finally {
            if (before == null) System.clearProperty("hlo4j.pjrt.plugin");
            else System.setProperty("hlo4j.pjrt.plugin", before);
        }
    }
}
