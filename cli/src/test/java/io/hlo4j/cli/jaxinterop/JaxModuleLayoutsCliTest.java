package io.hlo4j.cli.jaxinterop;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.hlo4j.cli.jaxinterop.JaxModulesCliTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layouts of JAX modules the import must read as JAX's own toolchain does, run through the CLI: a shard_map in the
 * older round-trip layout (shardings on the call), a shard_map without inputs, an op sharding rule in frontend
 * attributes, a constraint with unconstrained dims, and a partition count that disagrees with the mesh. Expected
 * values are computed by hand from the program's meaning.
 */
class JaxModuleLayoutsCliTest {
    static final String OLD_LAYOUT = """
            module @jit_func attributes {mhlo.frontend_attributes = {xla.sdy.meshes = "{mesh = #sdy.mesh<[\\22a\\22=2]>}"}, mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main(%arg0: tensor<2x4xf32> {mhlo.frontend_attributes = {xla.sdy.sharding = "#sdy.sharding<@mesh, [{\\22a\\22}, {}]>"}, mhlo.sharding = "{devices=[2,1]<=[2]}"}) -> (tensor<2x4xf32> {jax.result_info = "result", mhlo.sharding = "{devices=[2,1]<=[2]}"}) {
                %0 = stablehlo.custom_call @xla.sdy.GlobalToLocalShape(%arg0) : (tensor<2x4xf32>) -> tensor<1x4xf32>
                %1 = call @xla.sdy.manual_computation_body(%0) {mhlo.frontend_attributes = {xla.sdy.in_shardings = "#sdy.sharding_per_value<[<@mesh, [{\\22a\\22}, {}]>]>", xla.sdy.manual_axes = "#sdy<manual_axes{\\22a\\22}>", xla.sdy.out_shardings = "#sdy.sharding_per_value<[<@mesh, [{\\22a\\22}, {}]>]>"}} : (tensor<1x4xf32>) -> tensor<1x4xf32>
                %2 = stablehlo.custom_call @xla.sdy.LocalToGlobalShape(%1) : (tensor<1x4xf32>) -> tensor<2x4xf32>
                %3 = stablehlo.custom_call @xla.sdy.FuncResultSharding(%2) {has_side_effect = true, mhlo.frontend_attributes = {xla.sdy.sharding = "#sdy.sharding_per_value<[<@mesh, [{\\22a\\22}, {}]>]>"}} : (tensor<2x4xf32>) -> tensor<2x4xf32>
                return %3 : tensor<2x4xf32>
              }
              func.func @xla.sdy.manual_computation_body(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
                %0 = "stablehlo.collective_permute"(%arg0) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 0>, source_target_pairs = dense<[[0, 1], [1, 0]]> : tensor<2x2xi64>}> : (tensor<1x4xf32>) -> tensor<1x4xf32>
                return %0 : tensor<1x4xf32>
              }
            }
            """;

    static final String NO_INPUTS = """
            module @jit_func attributes {mhlo.frontend_attributes = {xla.sdy.meshes = "{mesh = #sdy.mesh<[\\22a\\22=2]>}"}, mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main(%arg0: tensor<4xf32>) -> (tensor<4xf32> {jax.result_info = "result"}) {
                %1 = call @xla.sdy.manual_computation_body() {mhlo.frontend_attributes = {inlineable = "false"}} : () -> tensor<2xf32>
                %2 = stablehlo.custom_call @xla.sdy.LocalToGlobalShape(%1) {has_side_effect = true, mhlo.frontend_attributes = {xla.sdy.manual_axes = "#sdy<manual_axes{\\22a\\22}>", xla.sdy.out_shardings = "#sdy.sharding_per_value<[<@mesh, [{\\22a\\22}]>]>"}} : (tensor<2xf32>) -> tensor<4xf32>
                %3 = stablehlo.add %2, %arg0 : tensor<4xf32>
                return %3 : tensor<4xf32>
              }
              func.func @xla.sdy.manual_computation_body() -> tensor<2xf32> {
                %0 = stablehlo.constant dense<[1.0, 2.0]> : tensor<2xf32>
                return %0 : tensor<2xf32>
              }
            }
            """;

    static final String RULE = """
            module @jit_f attributes {mhlo.frontend_attributes = {xla.sdy.meshes = "{mesh = #sdy.mesh<[\\22a\\22=2]>}"}, mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main(%arg0: tensor<4x2xf32> {mhlo.frontend_attributes = {xla.sdy.sharding = "#sdy.sharding<@mesh, [{\\22a\\22}, {}]>"}, mhlo.sharding = "{devices=[2,1]<=[2]}"}) -> (tensor<4x2xf32> {jax.result_info = "result"}) {
                %0 = stablehlo.custom_call @annotate_device_placement(%arg0) {has_side_effect = true, mhlo.frontend_attributes = {_xla_buffer_placement = "device", xla.sdy.sharding_rule = "#sdy.op_sharding_rule<([i, j])->([i, j]) {i=4, j=2}, custom>"}} : (tensor<4x2xf32>) -> tensor<4x2xf32>
                %1 = stablehlo.custom_call @xla.sdy.FuncResultSharding(%0) {has_side_effect = true, mhlo.frontend_attributes = {xla.sdy.sharding = "#sdy.sharding_per_value<[<@mesh, [{\\22a\\22}, {}]>]>"}} : (tensor<4x2xf32>) -> tensor<4x2xf32>
                return %1 : tensor<4x2xf32>
              }
            }
            """;

    static final String UNSPECIFIED = """
            module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main(%arg0: tensor<8x8xf32> {mhlo.sharding = "{devices=[4,1]<=[4]}"}) -> (tensor<8x8xf32> {jax.result_info = ""}) {
                %0 = stablehlo.custom_call @Sharding(%arg0) {backend_config = "unspecified_dims=[1]", mhlo.sharding = "{devices=[2,1,2]<=[4] last_tile_dim_replicate}"} : (tensor<8x8xf32>) -> tensor<8x8xf32>
                return %0 : tensor<8x8xf32>
              }
            }
            """;

    static Path write(Path dir, String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    static String[] run(Path m, Path dir, List<String> inputs, String out, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("run", m.toString()));
        for (String i : inputs) a.addAll(List.of("--input", dir.resolve(i + ".npy").toString()));
        a.addAll(List.of("-o", dir.resolve(out).toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void olderRoundTripLayoutWithShardingsOnTheCallRuns(@TempDir Path dir) throws Exception {
        // the ppermute over the 2 devices swaps the two rows
        Path m = write(dir, "old.mlir", OLD_LAYOUT);
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 4), 0, 1, 2, 3, 4, 5, 6, 7));
        var r = cli(run(m, dir, List.of("x"), "out"));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Npy.read(dir.resolve("out/result0.npy")).toFloatArray()).containsExactly(4, 5, 6, 7, 0, 1, 2, 3);
    }

    @Test
    void shardMapWithoutInputsIsPartitionedNotInterpreted(@TempDir Path dir) throws Exception {
        // each device's body returns [1, 2]; out_shardings {"a"} concatenates them to [1, 2, 1, 2], then + x
        Path m = write(dir, "noin.mlir", NO_INPUTS);
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 4), 10, 20, 30, 40));
        var r = cli(run(m, dir, List.of("x"), "out"));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("partitioned @main for 2 devices");
        assertThat(Npy.read(dir.resolve("out/result0.npy")).toFloatArray()).containsExactly(11, 22, 31, 42);
    }

    @Test
    void opShardingRuleInFrontendAttributesKeepsTheValueSharded(@TempDir Path dir) throws Exception {
        // the rule maps i to i, so the custom call runs on the row blocks: no collective, the value comes back as it went in
        Path m = write(dir, "rule.mlir", RULE);
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 4, 2), 1, 2, 3, 4, 5, 6, 7, 8));
        var r = cli(run(m, dir, List.of("x"), "out", "--spmd", "--collectives"));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains(": 0 collectives");
        assertThat(Npy.read(dir.resolve("out/result0.npy")).toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void unconstrainedDimsOfAConstraintStayOpen(@TempDir Path dir) throws Exception {
        Path m = write(dir, "unspec.mlir", UNSPECIFIED);
        var s = cli("shardings", m.toString());
        assertThat(s.code()).as(s.toString()).isZero();
        assertThat(s.out()).contains("{?}");
        float[] x = new float[64];
        for (int i = 0; i < 64; i++) x[i] = i - 20;
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 8, 8), x));
        var r = cli(run(m, dir, List.of("x"), "out", "--spmd"));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Npy.read(dir.resolve("out/result0.npy")).toFloatArray()).containsExactly(x);
    }

    @Test
    void partitionCountThatDisagreesWithTheMeshIsRefused(@TempDir Path dir) throws Exception {
        Path m = write(dir, "np.mlir", RULE.replace("mhlo.num_partitions = 2", "mhlo.num_partitions = 8"));
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 4, 2), 0, 1, 2, 3, 4, 5, 6, 7));
        var r = cli(run(m, dir, List.of("x"), "out", "--spmd"));
        assertThat(r.code()).as(r.toString()).isNotZero();
        assertThat(r.err()).contains("mhlo.num_partitions = 8 but sdy.mesh @").contains(" has 2 devices").doesNotContain("internal error");
    }

    @Test
    void maximalMeshInTheRoundTripMeshesIsRefusedByName(@TempDir Path dir) throws Exception {
        Path m = write(dir, "max.mlir", OLD_LAYOUT.replace("{mesh = #sdy.mesh<[\\22a\\22=2]>}",
                "{mesh = #sdy.mesh<[\\22a\\22=2]>, maximal_mesh_0 = #sdy.mesh<[], device_ids=[0]>}"));
        assertThat(Files.readString(m)).contains("maximal_mesh_0");
        Npy.write(dir.resolve("x.npy"), HostArray.fromFloats(TensorType.of(FloatType.F32, 2, 4), 0, 1, 2, 3, 4, 5, 6, 7));
        var r = cli(run(m, dir, List.of("x"), "out"));
        assertThat(r.code()).as(r.toString()).isNotZero();
        assertThat(r.err()).contains("maximal_mesh_0").doesNotContain("internal error").doesNotContain("\tat ");
    }
}
