package io.hlo4j.cli.jaxinterop;

import io.hlo4j.cli.Main;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Modules in the form JAX lowers them (src/test/resources/jaxinterop), through the CLI: {@code run} on one device,
 * {@code run --spmd} on the module's devices (GSPMD mhlo.sharding strings and Shardy sdy.* alike), {@code print},
 * {@code inspect}, and the refusals, each with values computed here by plain loops. Inputs are small integers, so
 * every float sum is exact and results compare for equality.
 */
class JaxModulesCliTest {
    record Run(int code, String out, String err) {
        @Override public String toString() { return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err; }
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Modules the user guide shows: read from docs/examples/jax, the one copy, so the tests check what users run. */
    static final java.util.Map<String, String> IN_DOCS = java.util.Map.of("gspmd_mlp.mlir", "gspmd-mlp.mlir", "shardy_mlp.mlir",
            "shardy-mlp.mlir", "gspmd_shard_map.mlir", "gspmd-shard-map.mlir", "export_shardy_roundtrip.mlir", "export-roundtrip.mlir");

    static Path fixture(Path dir, String name) throws IOException {
        if (IN_DOCS.containsKey(name)) {
            Path root = Path.of(System.getProperty("hlo4j.root", "..")).toAbsolutePath().normalize();
            Path p = dir.resolve(name);
            Files.copy(root.resolve("docs/examples/jax").resolve(IN_DOCS.get(name)), p);
            return p;
        }
        try (InputStream in = JaxModulesCliTest.class.getResourceAsStream("/jaxinterop/" + name)) {
            Path p = dir.resolve(name);
            Files.write(p, in.readAllBytes());
            return p;
        }
    }

    /** A rows x cols f32 array of integers in [-4, 4], written to dir/name.npy; returns the values row-major. */
    static float[] input(Path dir, String name, Random r, int rows, int cols) throws IOException {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(9) - 4;
        Npy.write(dir.resolve(name + ".npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, rows, cols), v));
        return v;
    }

    static float[] matmul(float[] a, float[] b, int n, int k, int m) {
        float[] c = new float[n * m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) {
            float s = 0;
            for (int q = 0; q < k; q++) s += a[i * k + q] * b[q * m + j];
            c[i * m + j] = s;
        }
        return c;
    }

    static String[] args(Path module, Path dir, List<String> inputs, String outDir, String... more) {
        List<String> a = new ArrayList<>(List.of("run", module.toString()));
        for (String in : inputs) a.addAll(List.of("--input", dir.resolve(in + ".npy").toString()));
        a.addAll(List.of("-o", dir.resolve(outDir).toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void gspmdModuleRunsOnOneDeviceAndPartitionedOnItsEightTheSame(@TempDir Path dir) throws Exception {
        Path m = fixture(dir, "gspmd_mlp.mlir");
        Random r = new Random(11);
        float[] x = input(dir, "x", r, 8, 4), w1 = input(dir, "w1", r, 4, 8), w2 = input(dir, "w2", r, 8, 2);
        float[] h = matmul(x, w1, 8, 4, 8);
        for (int i = 0; i < h.length; i++) h[i] = Math.max(h[i], 0);
        float[] want = matmul(h, w2, 8, 8, 2);

        Run one = cli(args(m, dir, List.of("x", "w1", "w2"), "one"));
        assertThat(one.code()).as(one.toString()).isZero();
        assertThat(Npy.read(dir.resolve("one/result0.npy")).toFloatArray()).containsExactly(want);

        Run spmd = cli(args(m, dir, List.of("x", "w1", "w2"), "spmd", "--spmd", "--collectives"));
        assertThat(spmd.code()).as(spmd.toString()).isZero();
        assertThat(spmd.out()).contains("partitioned @main for 8 devices");
        // w1's columns are split over the minor mesh axis, so the second matmul's partial sums meet in a collective
        assertThat(spmd.out()).containsPattern("ran in [0-9.]+ ms: [1-9][0-9]* collectives?");
        assertThat(Npy.read(dir.resolve("spmd/result0.npy")).toFloatArray()).containsExactly(want);
    }

    @Test
    void shardyModuleWithDeviceIdsConstraintShardMapAndRuleRunsOnItsMesh(@TempDir Path dir) throws Exception {
        Path m = fixture(dir, "shardy_mlp.mlir");
        Random r = new Random(12);
        float[] x = input(dir, "x", r, 8, 4), w = input(dir, "w", r, 4, 6);
        float[] y = matmul(x, w, 8, 4, 6);
        float[] colSums = new float[6];
        for (int i = 0; i < 8; i++) for (int j = 0; j < 6; j++) colSums[j] += y[i * 6 + j];

        // sdy.manual_computation implies --spmd
        Run run = cli(args(m, dir, List.of("x", "w"), "out", "--collectives"));
        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("the module holds sdy.manual_computation").contains("partitioned @main for 4 devices");
        // psum over "data": with device_ids [0, 2, 1, 3] its groups are devices {0, 1} and {2, 3}
        assertThat(run.out()).contains("all_reduce at jit(mlp)/jit(main)/psum at /src/mlp.py:20:0 groups [[0,1],[2,3]] axes data");
        assertThat(Npy.read(dir.resolve("out/result0.npy")).toFloatArray()).containsExactly(y);
        assertThat(Npy.read(dir.resolve("out/result1.npy")).toFloatArray()).containsExactly(colSums);
    }

    @Test
    void printKeepsJaxAttributesAndLocationsAndInspectNamesJaxOps(@TempDir Path dir) throws Exception {
        for (String name : List.of("gspmd_mlp.mlir", "shardy_mlp.mlir")) {
            Path m = fixture(dir, name);
            Run p = cli("print", "--locations", m.toString());
            assertThat(p.code()).as(p.toString()).isZero();
            assertThat(p.out()).contains("jax.result_info").contains("mhlo.num_partitions").contains("loc(\"jit(mlp)/jit(main)/");
            Path again = dir.resolve("again-" + name);
            Files.writeString(again, p.out());
            Run p2 = cli("print", "--locations", again.toString());
            assertThat(p2.out()).isEqualTo(p.out());
            Run d = cli("diff", m.toString(), again.toString());
            assertThat(d.code()).as(d.toString()).isZero();
            Run i = cli("inspect", m.toString());
            assertThat(i.code()).as(i.toString()).isZero();
            assertThat(i.out()).contains("stablehlo.dot_general at jit(mlp)/jit(main)/dot_general");
        }
    }

    @Test
    void preShardyShardMapIsRefusedByNameWithoutAStackTrace(@TempDir Path dir) throws Exception {
        Path m = fixture(dir, "gspmd_shard_map.mlir");
        Npy.write(dir.resolve("x.npy"), HostArray.zeros(TensorType.of(FloatType.F32, 2, 4)));
        for (String mode : List.of("", "--spmd")) {
            Run run = cli(mode.isEmpty() ? args(m, dir, List.of("x"), "o") : args(m, dir, List.of("x"), "o", mode));
            assertThat(run.code()).as(run.toString()).isNotZero();
            assertThat(run.err()).contains("@SPMDFullToShardShape").contains("pre-Shardy").contains("jax_use_shardy_partitioner")
                    .doesNotContain("\tat io.hlo4j").doesNotContain("internal error");
            // the call's location once, as the prefix (the --spmd refusal also named it inside the message)
            assertThat(run.err().split("gspmd_shard_map.mlir:", -1)).as(run.toString()).hasSize(2);
        }
    }

    @Test
    void maximalShardingIsRefusedByNameUnderSpmd(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("maximal.mlir");
        Files.writeString(m, """
                module @jit_f attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
                  func.func public @main(%arg0: tensor<2xf32> {mhlo.sharding = "{maximal device=1}"}) -> (tensor<2xf32> {jax.result_info = ""}) {
                    %0 = stablehlo.negate %arg0 : tensor<2xf32>
                    return %0 : tensor<2xf32>
                  }
                }
                """);
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 2), 1, -2));
        Run one = cli(args(m, dir, List.of("x"), "one"));
        assertThat(one.code()).as(one.toString()).isZero();
        assertThat(Npy.read(dir.resolve("one/result0.npy")).toFloatArray()).containsExactly(-1f, 2f);
        Run spmd = cli(args(m, dir, List.of("x"), "spmd", "--spmd"));
        assertThat(spmd.code()).as(spmd.toString()).isNotZero();
        assertThat(spmd.err()).contains("argument 0 of @main").contains("{maximal device=1}").doesNotContain("internal error");
    }

    @Test
    void jaxExportRoundTripFormRunsPartitionedLikeJax(@TempDir Path dir) throws Exception {
        // JAX's own test of this form: a ppermute over the 2 devices swaps the two rows
        Path m = fixture(dir, "export_shardy_roundtrip.mlir");
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 4), 0, 1, 2, 3, 4, 5, 6, 7));
        Run run = cli(args(m, dir, List.of("x"), "out", "--collectives"));
        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).contains("collective_permute at jit(func)/jit(main)/ppermute at /src/t.py:779:13");
        assertThat(Npy.read(dir.resolve("out/result0.npy")).toFloatArray()).containsExactly(4, 5, 6, 7, 0, 1, 2, 3);

        // two manual axes, a constraint, an op sharding and a result sharding: -(x + b) with b broadcast along rows
        Path m2 = fixture(dir, "export_shardy_two_axes.mlir");
        Random r = new Random(13);
        float[] x = input(dir, "x2", r, 4, 6);
        float[] b = new float[6];
        for (int j = 0; j < 6; j++) b[j] = r.nextInt(9) - 4;
        Npy.write(dir.resolve("b.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 6), b));
        float[] want = new float[24];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j++) want[i * 6 + j] = -(x[i * 6 + j] + b[j]);
        Run run2 = cli(args(m2, dir, List.of("x2", "b"), "out2", "--spmd"));
        assertThat(run2.code()).as(run2.toString()).isZero();
        assertThat(run2.out()).contains("partitioned @main for 4 devices");
        assertThat(Npy.read(dir.resolve("out2/result0.npy")).toFloatArray()).containsExactly(want);
    }

    @Test
    void shardingsShowsGspmdStringsAsTheBlocksEachDeviceHolds(@TempDir Path dir) throws Exception {
        Path m = fixture(dir, "gspmd_mlp.mlir");
        Run run = cli("shardings", m.toString());
        assertThat(run.code()).as(run.toString()).isZero();
        // {devices=[1,2,4]<=[4,2]T(1,0) last_tile_dim_replicate}: iota(8).reshape(4,2).T = [[0,2,4,6],[1,3,5,7]], so the
        // first column block is on devices 0,2,4,6 and the second on 1,3,5,7
        assertThat(run.out()).contains("@main %arg1: tensor<4x8xf32> #sdy.sharding<@gspmd, [{}, {\"g1\"}]>")
                .contains("| dev 0,2,4,6 | dev 1,3,5,7 |");
        // {devices=[4,1,2]<=[8] last_tile_dim_replicate}: row block i on devices 2i and 2i+1
        assertThat(run.out()).contains("@main %arg0: tensor<8x4xf32> #sdy.sharding<@gspmd, [{\"g0\"}, {}]>")
                .containsSubsequence("| dev 0,1 |", "| dev 2,3 |", "| dev 4,5 |", "| dev 6,7 |");
    }
}
