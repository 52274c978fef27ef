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

/** {@code HLO4J_PJRT_PLUGIN} alone (no flag, no system property) puts {@code run} on the plugin: a real subprocess. */
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
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "run", f.toString(), "--input", dir.resolve("a.npy").toString(), "--input", dir.resolve("b.npy").toString(),
                "-o", dir.resolve("out").toString(), "--pjrt-option", "num_devices=1");
        pb.environment().put("HLO4J_PJRT_PLUGIN", plugin.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        // [[1,2,3],[4,5,6]] . [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
        assertThat(out).contains("result0: tensor<2x2xf32> min 58.0000 max 154.000 mean 103.750").contains("on pjrt:mock");
        assertThat(Npy.read(dir.resolve("out/result0.npy")).toDoubleArray()).containsExactly(58, 64, 139, 154);
    }
}
