package io.hlo4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code hlo4j moe run --pjrt-plugin}: the mock plugin computes only single-op programs, so the MoE layer
 * cannot run on it. What is checked: the traced layer reaches the plugin's compile (as one partition, the
 * whole layer in one program) and the refusal is one line, exit 1, with nothing written.
 */
class MoeRunPjrtTest {
    @Test
    void theLayerReachesThePluginsCompileAndAnUnsupportedProgramIsOneLine(@TempDir Path tmp) throws IOException {
        Path w = MoeCommandTest.copyCase(tmp), out = tmp.resolve("out");
        Cli.Run r = MoeCommandTest.moe("run", "--config", w.resolve("config.json").toString(), "--weights", w.toString(),
                "--input", w.resolve("x.npy").toString(), "-o", out.toString(), "--pjrt-plugin", CompileCommandTest.mock().toString(),
                "--pjrt-option", "num_devices=1");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("PJRT_Client_Compile failed with UNIMPLEMENTED")
                .contains("for 1 replica(s) x 1 partition(s)")
                .containsPattern("with ([2-9]|\\d\\d+) stablehlo ops");   // the whole traced layer, not a stub
        assertThat(out).doesNotExist();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.filter(p -> p.getFileName().toString().contains(".tmp-")).toList()).isEmpty();
        }
    }

    @Test
    void pjrtOptionsWithoutAPluginAreAUsageError(@TempDir Path tmp) throws IOException {
        if (System.getenv("HLO4J_PJRT_PLUGIN") != null) return;   // the environment names a plugin: not this case
        Path w = MoeCommandTest.copyCase(tmp);
        Cli.Run r = MoeCommandTest.moe("run", "--config", w.resolve("config.json").toString(), "--weights", w.toString(),
                "--input", w.resolve("x.npy").toString(), "-o", tmp.resolve("out").toString(), "--pjrt-option", "a=1");
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--pjrt-option needs --pjrt-plugin");
    }

    /** --mesh runs on simulated devices: a plugin named on the command line is refused, never silently unused. */
    @Test
    void meshWithAnExplicitPluginIsAUsageError(@TempDir Path tmp) throws IOException {
        Path w = MoeCommandTest.copyCase(tmp), out = tmp.resolve("out");
        for (String[] extra : new String[][] {{"--pjrt-plugin", CompileCommandTest.mock().toString()}, {"--pjrt-option", "a=1"}}) {
            Cli.Run r = MoeCommandTest.moe("run", "--config", w.resolve("config.json").toString(), "--weights", w.toString(),
                    "--input", w.resolve("x.npy").toString(), "-o", out.toString(), "--mesh", "ep=2", extra[0], extra[1]);
            assertThat(r.code()).as(r.toString()).isEqualTo(2);
            assertThat(r.err()).contains("--mesh runs on simulated devices in the interpreter; it does not take --pjrt-plugin or --pjrt-option");
            assertThat(out).doesNotExist();
        }
    }
}
