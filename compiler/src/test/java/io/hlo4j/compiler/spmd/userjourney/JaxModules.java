package io.hlo4j.compiler.spmd.userjourney;

/**
 * Three modules written the way {@code jax.jit(...).lower(...).as_text()} prints them with Shardy on
 * ({@code jax_use_shardy_partitioner}): {@code sdy.mesh}, {@code sdy.sharding} on {@code func.func public @main}'s
 * arguments and results (next to {@code jax.result_info}), {@code sdy.sharding_constraint} for
 * {@code with_sharding_constraint}, {@code sdy.manual_computation} for {@code shard_map} with every axis manual, and
 * the collectives in JAX's generic form. No {@code stablehlo.custom_call @Sharding}.
 */
final class JaxModules {
    private JaxModules() {}

    /**
     * Megatron MLP on dp=2 x tp=2: x P('dp', None), w1 P(None, 'tp') (column parallel), w2 P('tp', None) (row
     * parallel), the hidden activation constrained to P('dp', 'tp'), the output P('dp', None).
     */
    static final String MLP = """
            module @jit_mlp attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["dp"=2, "tp"=2]>
              func.func public @main(%arg0: tensor<8x16xf32> {mhlo.layout_mode = "default", sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}, %arg1: tensor<16x32xf32> {mhlo.layout_mode = "default", sdy.sharding = #sdy.sharding<@mesh, [{}, {"tp"}]>}, %arg2: tensor<32x16xf32> {mhlo.layout_mode = "default", sdy.sharding = #sdy.sharding<@mesh, [{"tp"}, {}]>}) -> (tensor<8x16xf32> {jax.result_info = "result", mhlo.layout_mode = "default", sdy.sharding = #sdy.sharding<@mesh, [{"dp"}, {}]>}) {
                %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
                %1 = sdy.sharding_constraint %0 <@mesh, [{"dp"}, {"tp"}]> : tensor<8x32xf32>
                %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
                %2 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<8x32xf32>
                %3 = stablehlo.maximum %1, %2 : tensor<8x32xf32>
                %4 = stablehlo.dot_general %3, %arg2, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<8x32xf32>, tensor<32x16xf32>) -> tensor<8x16xf32>
                return %4 : tensor<8x16xf32>
              }
            }
            """;

    /**
     * A matmul whose contracting dimension is split on x=4 on both sides and whose result is P('x', None): the
     * partial sums are reduce-scattered, nothing is all-gathered.
     */
    static final String REDUCE_SCATTER = """
            module @jit_rs attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=4]>
              func.func public @main(%arg0: tensor<8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"x"}]>}, %arg1: tensor<16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> (tensor<8x8xf32> {jax.result_info = "", sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) {
                %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<8x16xf32>, tensor<16x8xf32>) -> tensor<8x8xf32>
                return %0 : tensor<8x8xf32>
              }
            }
            """;

    /**
     * {@code shard_map(f, mesh, in_specs=P('x'), out_specs=(P('x'), P(None, 'x')))} on x=4 where f returns
     * {@code psum(b, 'x')} and {@code all_to_all(b, 'x', split_axis=1, concat_axis=0, tiled=True)}: the first result
     * is the sum of the four row blocks, repeated; the second is the input itself (rows to columns).
     */
    static final String SHARD_MAP = """
            module @jit_f attributes {mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=4]>
              func.func public @main(%arg0: tensor<8x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> (tensor<8x8xf32> {jax.result_info = "[0]", sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}, tensor<8x8xf32> {jax.result_info = "[1]", sdy.sharding = #sdy.sharding<@mesh, [{}, {"x"}]>}) {
                %0:2 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{"x"}, {}]>, <@mesh, [{}, {"x"}]>] manual_axes={"x"} (%arg1: tensor<2x8xf32>) {
                  %1 = "stablehlo.all_reduce"(%arg1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>, use_global_device_ids}> ({
                  ^bb0(%arg2: tensor<f32>, %arg3: tensor<f32>):
                    %3 = stablehlo.add %arg2, %arg3 : tensor<f32>
                    stablehlo.return %3 : tensor<f32>
                  }) : (tensor<2x8xf32>) -> tensor<2x8xf32>
                  %2 = "stablehlo.all_to_all"(%arg1) <{channel_handle = #stablehlo.channel_handle<handle = 2, type = 1>, concat_dimension = 0 : i64, replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>, split_count = 4 : i64, split_dimension = 1 : i64}> : (tensor<2x8xf32>) -> tensor<8x2xf32>
                  sdy.return %1, %2 : tensor<2x8xf32>, tensor<8x2xf32>
                } : (tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>)
                return %0#0, %0#1 : tensor<8x8xf32>, tensor<8x8xf32>
              }
            }
            """;
}
