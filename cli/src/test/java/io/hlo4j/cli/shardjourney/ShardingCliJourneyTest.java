package io.hlo4j.cli.shardjourney;

import io.hlo4j.cli.shardjourney.JourneyCli.Out;
import io.hlo4j.compiler.spmd.Spmd;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import io.hlo4j.mlir.types.FloatType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.cli.shardjourney.JourneyCli.cli;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JAX user's first day with the CLI: a hand-written Shardy module through {@code run --spmd}, {@code shardings} and
 * {@code inspect}, a shard_map module through {@code run}, and a built-in model's annotated dump run with
 * {@code --spmd} against its global dump. Results are checked against sums written out here or the global program;
 * the bytes against hand counts.
 */
class ShardingCliJourneyTest {
    /** Megatron MLP on dp=2 x tp=2 as jax.jit exports it: column-parallel w1, row-parallel w2, a constraint on h. */
    static final String MLP = """
            module @jit_mlp attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["dp"=2, "tp"=2]>
              func.func public @main(%arg0: tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}, %arg1: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"tp"}]>}, %arg2: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"tp"}, {}]>}) -> (tensor<4x4xf32> {jax.result_info = "", sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}) {
                %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
                %1 = sdy.sharding_constraint %0 <@mesh, [{"dp"}, {"tp"}]> : tensor<4x8xf32>
                %2 = stablehlo.dot_general %1, %arg2, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
                return %2 : tensor<4x4xf32>
              }
            }
            """;

    /** shard_map(lambda b: psum(b, 'x'), mesh, in_specs=P('x'), out_specs=P('x')) on x=4. */
    static final String PSUM = """
            module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=4]>
              func.func public @main(%arg0: tensor<4x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> (tensor<4x4xf32> {jax.result_info = "", sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) {
                %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{"x"}, {}]>] manual_axes={"x"} (%arg1: tensor<1x4xf32>) {
                  %1 = "stablehlo.all_reduce"(%arg1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>, use_global_device_ids}> ({
                  ^bb0(%arg2: tensor<f32>, %arg3: tensor<f32>):
                    %2 = stablehlo.add %arg2, %arg3 : tensor<f32>
                    stablehlo.return %2 : tensor<f32>
                  }) : (tensor<1x4xf32>) -> tensor<1x4xf32>
                  sdy.return %1 : tensor<1x4xf32>
                } : (tensor<4x4xf32>) -> tensor<4x4xf32>
                return %0 : tensor<4x4xf32>
              }
            }
            """;

    private static float[] randomInput(Path file, Random r, long... shape) throws Exception {
        float[] v = new float[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        Npy.write(file, HostArray.fromFloats(TensorType.of(FloatType.F32, shape), v));
        return v;
    }

    @Test
    void megatronMlpRunsShardingsAndInspects(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("mlp.mlir");
        Files.writeString(f, MLP);
        Random r = new Random(31);
        float[] x = randomInput(dir.resolve("x.npy"), r, 4, 8), w1 = randomInput(dir.resolve("w1.npy"), r, 8, 8),
                w2 = randomInput(dir.resolve("w2.npy"), r, 8, 4);
        Out run = cli("run", f.toString(), "--spmd", "--input", dir.resolve("x.npy").toString(), "--input", dir.resolve("w1.npy").toString(),
                "--input", dir.resolve("w2.npy").toString(), "-o", dir.resolve("out").toString());
        assertThat(run.code()).as(run.toString()).isZero();
        double[] got = Npy.read(dir.resolve("out/result0.npy")).toDoubleArray();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                double want = 0;
                for (int k = 0; k < 8; k++) {
                    double h = 0;
                    for (int m = 0; m < 8; m++) h += x[i * 8 + m] * w1[m * 8 + k];
                    want += h * w2[k * 4 + j];
                }
                assertThat(got[i * 4 + j]).as("y[%d][%d]", i, j).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(want))));
            }
        }
        // one all_reduce over tp of the [2,4] f32 partial output (32 B), g = 2: 2 * 1/2 * 32 = 32 B per device
        assertThat(run.out()).contains("partitioned @main for 4 devices").containsPattern("ran in [0-9.]+ ms: 1 collective, at most 32 bytes "
                + "received per device").doesNotContain("partitioner:");

        Out sh = cli("shardings", f.toString());
        assertThat(sh.code()).as(sh.toString()).isZero();
        // device = 2 * dp + tp: w1's column block 0 is on tp = 0 (devices 0 and 2)
        assertThat(sh.out()).contains("""
                @main %arg1: tensor<8x8xf32> #sdy.sharding<@mesh, [{}, {"tp"}]>
                  blocks [1, 2], block shape [8, 4]
                +---------+---------+
                | dev 0,2 | dev 1,3 |
                +---------+---------+
                """);
        assertThat(sh.out()).contains("@main %arg0: tensor<4x8xf32> #sdy.sharding<@mesh, [{\"dp\"}, {}]>\n  blocks [2, 1], block shape [2, 8]");

        // no CLI command writes the per-device program of one's own file (dump takes built-in models): do it from Java
        Path device = dir.resolve("mlp-device.mlir");
        Files.writeString(device, MlirPrinter.print(Spmd.explicit(MlirParser.parseModule(MLP, f.toString())).module()));
        Out in = cli("inspect", device.toString());
        assertThat(in.code()).as(in.toString()).isZero();
        assertThat(in.out()).contains("collectives: 1\n").containsPattern(
                "stablehlo.all_reduce in @main at .*mlp-device.mlir:\\d+:\\d+: group size 2, 32 B received per device \\(buffer 32 B\\), groups \\[\\[0, 1\\], \\[2, 3\\]\\]");
    }

    @Test
    void aShardMapModuleRunsWithoutTheFlag(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("psum.mlir");
        Files.writeString(f, PSUM);
        float[] x = randomInput(dir.resolve("x.npy"), new Random(32), 4, 4);
        Out run = cli("run", f.toString(), "--input", dir.resolve("x.npy").toString(), "-o", dir.resolve("out").toString());
        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("the module holds sdy.manual_computation");
        double[] got = Npy.read(dir.resolve("out/result0.npy")).toDoubleArray();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                double s = 0;
                for (int b = 0; b < 4; b++) s += x[b * 4 + j];
                assertThat(got[i * 4 + j]).isCloseTo(s, org.assertj.core.data.Offset.offset(1e-5));
            }
        }
        // all_reduce of [1,4] f32 (16 B) over 4 devices: 2 * 3/4 * 16 = 24 B
        assertThat(run.out()).containsPattern("1 collective, at most 24 bytes received per device");
        // inspect counts the same 24 B received, and names the 16 B operand the device holds as its buffer
        Path device = dir.resolve("psum-device.mlir");
        Files.writeString(device, MlirPrinter.print(Spmd.explicit(MlirParser.parseModule(PSUM, f.toString())).module()));
        Out in = cli("inspect", device.toString());
        assertThat(in.code()).as(in.toString()).isZero();
        assertThat(in.out()).contains("group size 4, 24 B received per device (buffer 16 B), groups [[0, 1, 2, 3]]");
    }

    @Test
    void theMlpExamplesAnnotatedDumpRunsLikeItsGlobalDump(@TempDir Path dir) throws Exception {
        Path global = dir.resolve("g.mlir"), annotated = dir.resolve("a.mlir");
        assertThat(cli("dump", "mlp", "-o", global.toString()).code()).isZero();
        Out d = cli("dump", "mlp", "--emit", "annotated", "--mesh", "dp=2", "-o", annotated.toString());
        assertThat(d.code()).as(d.toString()).isZero();
        var main = MlirParser.parseModule(Files.readString(annotated), annotated.toString()).symbols().lookup("main");
        FunctionType ft = (FunctionType) ((TypeAttr) main.attr("function_type")).value();
        List<String> args = new ArrayList<>();
        Random r = new Random(33);
        for (int i = 0; i < ft.inputs().size(); i++) {
            Type t = ft.inputs().get(i);
            Path p = dir.resolve("in" + i + ".npy");
            randomInput(p, r, ((TensorType) t).shape());
            args.add("--input");
            args.add(p.toString());
        }
        List<String> g = new ArrayList<>(List.of("run", global.toString(), "-o", dir.resolve("g").toString()));
        g.addAll(args);
        List<String> s = new ArrayList<>(List.of("run", annotated.toString(), "--spmd", "-o", dir.resolve("s").toString()));
        s.addAll(args);
        Out go = cli(g.toArray(String[]::new)), so = cli(s.toArray(String[]::new));
        assertThat(go.code()).as(go.toString()).isZero();
        assertThat(so.code()).as(so.toString()).isZero();
        double want = Npy.read(dir.resolve("g/result0.npy")).toDoubleArray()[0], got = Npy.read(dir.resolve("s/result0.npy")).toDoubleArray()[0];
        assertThat(got).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(want))));
        // as docs/sharding.md says: one all_reduce of the f32 partial sum (4 B) over dp (g = 2): 2 * 1/2 * 4 = 4 B
        assertThat(so.out()).containsPattern("1 collective, at most 4 bytes received per device");
    }
}
