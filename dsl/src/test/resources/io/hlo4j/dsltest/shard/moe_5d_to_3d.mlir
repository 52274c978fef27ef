module @jit_moe_reshard attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["dp"=1, "fsdp"=1, "ep"=2, "tp"=2, "sp"=2]>
  sdy.mesh @expert_mesh = <["dp"=1, "expert"=4, "tp"=2], device_ids=[0, 2, 1, 3, 4, 6, 5, 7]>
  func.func public @main(%arg0: tensor<2x4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"fsdp", "dp"}, {"sp"}, {"tp"}]>}, %arg1: tensor<4x8x8xf32> {sdy.sharding = #sdy.sharding<@expert_mesh, [{"expert"}, {}, {"tp"}]>}) -> (tensor<2x4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"fsdp", "dp"}, {"sp"}, {"tp"}]>}) {
    %0 = sdy.sharding_constraint %arg0 <@expert_mesh, [{"dp"}, {}, {}]> : tensor<2x4x8xf32>
    %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %1 = stablehlo.reduce(%arg1 init: %cst) applies stablehlo.add across dimensions = [0] : (tensor<4x8x8xf32>, tensor<f32>) -> tensor<8x8xf32>
    %2 = stablehlo.dot_general %0, %1, contracting_dims = [2] x [0] : (tensor<2x4x8xf32>, tensor<8x8xf32>) -> tensor<2x4x8xf32>
    %3 = sdy.sharding_constraint %2 <@expert_mesh, [{"dp"}, {}, {"tp"}]> : tensor<2x4x8xf32>
    %4 = sdy.sharding_constraint %3 <@mesh, [{"fsdp", "dp"}, {"sp"}, {"tp"}]> : tensor<2x4x8xf32>
    return %4 : tensor<2x4x8xf32>
  }
}
