package io.hlo4j.mlir.testing;

/**
 * The reference shard_map of the house notes (stablehlo-and-shardy.md, section 4f) in its Shardy form: a 2-device
 * all_to_all inside sdy.manual_computation, globally the identity on a 4x2 array. The DSL's ShardMap reproduces it
 * character for character; the parser, verifier and printer read it; the partitioner runs it.
 */
public final class ReferenceShardMap {
    private ReferenceShardMap() {}

    public static final String ALL_TO_ALL = """
            module @jit_a2a attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=2]>
              func.func public @main(%arg0: tensor<4x2xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) -> (tensor<4x2xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"x"}]>}) {
                %0 = sdy.manual_computation(%arg0) in_shardings=[<@mesh, [{"x"}, {}]>] out_shardings=[<@mesh, [{}, {"x"}]>] manual_axes={"x"} (%arg1: tensor<2x2xf32>) {
                  %1 = "stablehlo.all_to_all"(%arg1) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, concat_dimension = 0 : i64, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, split_count = 2 : i64, split_dimension = 1 : i64}> : (tensor<2x2xf32>) -> tensor<4x1xf32>
                  sdy.return %1 : tensor<4x1xf32>
                } : (tensor<4x2xf32>) -> tensor<4x2xf32>
                return %0 : tensor<4x2xf32>
              }
            }
            """;
}
