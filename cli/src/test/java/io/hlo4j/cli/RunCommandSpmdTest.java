package io.hlo4j.cli;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code hlo4j run --spmd}: an annotated module partitioned by hlo4j and run on its mesh, global in and out. */
class RunCommandSpmdTest {
    /** Rows on dp through a shard_map (tanh(x) * x per block), then a matmul with w's columns on tp. */
    private static final String MODULE = """
            module @m attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["dp"=2, "tp"=2]>
              func.func @main(%x: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}, %w: tensor<16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"tp"}]>}) -> (tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}) {
                %a = sdy.manual_computation(%x) in_shardings=[<@mesh, [{"dp"}, {}]>] out_shardings=[<@mesh, [{"dp"}, {}]>] manual_axes={"dp", "tp"} (%l: tensor<4x16xf32>) {
                  %t = stablehlo.tanh %l : tensor<4x16xf32>
                  %m = stablehlo.multiply %t, %l : tensor<4x16xf32>
                  sdy.return %m : tensor<4x16xf32>
                } : (tensor<8x16xf32>) -> tensor<8x16xf32>
                %y = stablehlo.dot_general %a, %w, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x8xf32>) -> tensor<8x8xf32>
                return %y : tensor<8x8xf32>
              }
            }
            """;

    @Test
    void aModuleWithAShardMapIsPartitionedAndRunOnItsMesh(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.mlir");
        Files.writeString(f, MODULE);
        Random r = new Random(3);
        float[] x = new float[8 * 16], w = new float[16 * 8];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 8, 16), x));
        Npy.write(dir.resolve("w.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 16, 8), w));
        Cli.Run run = Cli.run("run", f.toString(), "--input", dir.resolve("x.npy").toString(), "--input", dir.resolve("w.npy").toString(),
                "-o", dir.resolve("out").toString());
        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("partitioned by hlo4j's SPMD partitioner").contains("partitioned @main for 4 devices")
                .contains("result0: tensor<8x8xf32>");
        double[] got = Npy.read(dir.resolve("out/result0.npy")).toDoubleArray();
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                double want = 0;
                for (int k = 0; k < 16; k++) want += Math.tanh(x[i * 16 + k]) * x[i * 16 + k] * w[k * 8 + j];
                assertThat(got[i * 8 + j]).as("y[%d][%d]", i, j).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(want))));
            }
        }
        // the result leaves replicated over tp, so the tp-split matmul columns are gathered: one collective at least
        assertThat(run.out()).containsPattern("ran in [0-9.]+ ms: [1-9][0-9]* collectives?");
    }

    @Test
    void spmdRefusesPerDeviceFlagsAndWrongInputCounts(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.mlir");
        Files.writeString(f, MODULE);
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 8, 16), new float[128]));
        Cli.Run one = Cli.run("run", f.toString(), "--spmd", "--input", dir.resolve("x.npy").toString());
        assertThat(one.code()).isEqualTo(1);
        assertThat(one.err()).contains("@main takes 2 global arguments; got 1 --input files").doesNotContain("Exception");
        Cli.Run dev = Cli.run("run", f.toString(), "--spmd", "--devices", "4");   // conflicting flags: a usage error
        assertThat(dev.code()).isEqualTo(Main.USAGE);
        assertThat(dev.err()).contains("--spmd takes the device count from the module's mesh");
    }
}
