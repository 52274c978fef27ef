package io.hlo4j.cli;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j run}: inputs from .npy, results to DIR/result<i>.npy, simulated devices. */
class RunCommandTest {
    @Test
    void addsTwoArraysAndWritesTheResult(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("add.mlir");
        Files.writeString(f, """
                func.func @main(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
                  %0 = stablehlo.add %a, %b : tensor<2xf32>
                  return %0 : tensor<2xf32>
                }
                """);
        Npy.write(dir.resolve("a.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 2), 1.5f, 2f));
        Npy.write(dir.resolve("b.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 2), 2.5f, 4f));
        Cli.Run r = Cli.run("run", f.toString(), "--input", dir.resolve("a.npy").toString(), "--input",
                dir.resolve("b.npy").toString(), "-o", dir.resolve("out").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("result0: tensor<2xf32> min 4.00000 max 6.00000 mean 5.00000");
        HostArray out = Npy.read(dir.resolve("out/result0.npy"));
        assertThat(out.toDoubleArray()).containsExactly(4, 6);
    }

    @Test
    void runsOnSimulatedDevices(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("pid.mlir");
        Files.writeString(f, """
                func.func @main() -> tensor<ui32> {
                  %0 = stablehlo.partition_id : tensor<ui32>
                  return %0 : tensor<ui32>
                }
                """);
        Cli.Run r = Cli.run("run", f.toString(), "--devices", "4", "-o", dir.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("device 3 result0: tensor<ui32>").contains("on 4 devices");
        assertThat(Npy.read(dir.resolve("device3/result0.npy")).toLongArray()).containsExactly(3);
        assertThat(Npy.read(dir.resolve("device1/result0.npy")).type().elementType()).isEqualTo(IntegerType.UI32);
    }
}
