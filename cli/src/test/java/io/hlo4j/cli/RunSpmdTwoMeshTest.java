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

/**
 * {@code hlo4j run --spmd} on the DSL's golden 5D -> 3D module, which declares two meshes (the model mesh and the
 * expert mesh view with device_ids): partitioned and run on 8 simulated devices, the result equals the global
 * program run on one device, and no move falls back to gather-and-slice.
 */
class RunSpmdTwoMeshTest {
    private static final Path GOLDEN = Path.of("..", "dsl", "src", "test", "resources", "io", "hlo4j", "dsltest", "shard", "moe_5d_to_3d.mlir");

    @Test
    void theTwoMeshGoldenRunsPartitionedAsItRunsGlobally(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("moe_5d_to_3d.mlir");
        Files.copy(GOLDEN, f);
        Random r = new Random(11);
        float[] x = new float[2 * 4 * 8], w = new float[4 * 8 * 8];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 4, 8), x));
        Npy.write(dir.resolve("w.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 4, 8, 8), w));
        String[] inputs = {"--input", dir.resolve("x.npy").toString(), "--input", dir.resolve("w.npy").toString()};

        Cli.Run spmd = Cli.run(concat(new String[] {"run", f.toString(), "--spmd", "-o", dir.resolve("spmd").toString()}, inputs));
        assertThat(spmd.code()).as(spmd.toString()).isZero();
        assertThat(spmd.out()).contains("partitioned @main for 8 devices").contains("result0: tensor<2x4x8xf32>")
                .doesNotContain("CROSS_MESH_GATHERED");
        Cli.Run global = Cli.run(concat(new String[] {"run", f.toString(), "-o", dir.resolve("global").toString()}, inputs));
        assertThat(global.code()).as(global.toString()).isZero();
        assertThat(global.out()).contains("on 1 device");

        HostArray got = Npy.read(dir.resolve("spmd/result0.npy")), want = Npy.read(dir.resolve("global/result0.npy"));
        assertThat(got.type()).isEqualTo(want.type());
        assertThat(got.allClose(want, 1e-5, 1e-6)).as("spmd %s vs global %s", spmd.out(), global.out()).isTrue();
        // and against a hand-written oracle: y[b,s,j] = sum_k x[b,s,k] * sum_e w[e,k,j]
        double[] g = got.toDoubleArray();
        for (int b = 0; b < 2; b++) {
            for (int s = 0; s < 4; s++) {
                for (int j = 0; j < 8; j++) {
                    double y = 0;
                    for (int k = 0; k < 8; k++) {
                        double we = 0;
                        for (int e = 0; e < 4; e++) we += w[(e * 8 + k) * 8 + j];
                        y += x[(b * 4 + s) * 8 + k] * we;
                    }
                    assertThat(g[(b * 4 + s) * 8 + j]).as("y[%d][%d][%d]", b, s, j).isCloseTo(y, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(y))));
                }
            }
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
