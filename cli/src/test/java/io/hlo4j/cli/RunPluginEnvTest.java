package io.hlo4j.cli;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@code HLO4J_PJRT_PLUGIN} does when it is in the environment: real child processes. */
class RunPluginEnvTest {
    @Test
    void theEnvironmentVariableSelectsThePlugin(@TempDir Path dir) throws Exception {
        Path plugin = CompileCommandTest.mock();
        Path f = dir.resolve("dot.mlir");
        Files.writeString(f, """
                func.func @main(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<2x2xf32> {
                  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
                  func.return %0 : tensor<2x2xf32>
                }
                """);
        Npy.write(dir.resolve("a.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 3), 1, 2, 3, 4, 5, 6));
        Npy.write(dir.resolve("b.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 3, 2), 7, 8, 9, 10, 11, 12));
        Child c = withPluginInEnvironment(plugin, "run", f.toString(), "--input", dir.resolve("a.npy").toString(),
                "--input", dir.resolve("b.npy").toString(), "-o", dir.resolve("out").toString(), "--pjrt-option", "num_devices=1");
        String out = c.output();
        assertThat(c.code()).as(out).isZero();
        // [[1,2,3],[4,5,6]] . [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
        assertThat(out).contains("result0: tensor<2x2xf32> min 58.0000 max 154.000 mean 103.750").contains("on pjrt:mock");
        assertThat(Npy.read(dir.resolve("out/result0.npy")).toDoubleArray()).containsExactly(58, 64, 139, 154);
    }

    /**
     * {@code moe run --mesh} runs on simulated devices: a plugin named on the command line is refused even when the
     * environment names one too (it used to be silently unused then); one named only by the environment gets a note.
     */
    @Test
    void meshRunsNameAnUnusedPluginAndRefuseAnExplicitOne(@TempDir Path dir) throws Exception {
        Path plugin = CompileCommandTest.mock(), w = MoeCommandTest.copyCase(dir);
        List<String> args = List.of("moe", "run", "--config", w.resolve("config.json").toString(), "--weights", w.toString(),
                "--input", w.resolve("x.npy").toString(), "--mesh", "ep=2");
        List<String> explicit = new java.util.ArrayList<>(args);
        explicit.addAll(List.of("-o", dir.resolve("a").toString(), "--pjrt-plugin", plugin.toString()));
        Child refused = withPluginInEnvironment(plugin, explicit.toArray(String[]::new));
        assertThat(refused.code()).as(refused.output()).isEqualTo(2);
        assertThat(refused.output()).contains("--mesh runs on simulated devices in the interpreter; it does not take --pjrt-plugin");
        assertThat(dir.resolve("a")).doesNotExist();
        List<String> fromEnv = new java.util.ArrayList<>(args);
        fromEnv.addAll(List.of("-o", dir.resolve("b").toString()));
        Child noted = withPluginInEnvironment(plugin, fromEnv.toArray(String[]::new));
        assertThat(noted.code()).as(noted.output()).isZero();
        assertThat(noted.output()).contains("note: --mesh runs on simulated devices in the interpreter; HLO4J_PJRT_PLUGIN (" + plugin + ") is not used");
        assertThat(dir.resolve("b")).isDirectory();
    }

    record Child(int code, String output) {}

    /** The CLI in a child JVM (the test's java and classpath) with {@code HLO4J_PJRT_PLUGIN} set; stdout and stderr together. */
    static Child withPluginInEnvironment(Path plugin, String... args) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HLO4J_PJRT_PLUGIN", plugin.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Child(p.exitValue(), out);
    }
}
