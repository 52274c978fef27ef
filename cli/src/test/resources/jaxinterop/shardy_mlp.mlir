#loc1 = loc("x")
#loc2 = loc("w")
#loc3 = loc("/src/mlp.py":20:0)
module @jit_mlp attributes {jax.uses_shape_polymorphism = false, mhlo.frontend_attributes = {xla.sdy.use_tuple_args = "t"}, mhlo.num_partitions = 4 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["data"=2, "model"=2], device_ids=[0, 2, 1, 3]>
  func.func public @main(%arg0: tensor<8x4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {}]>} loc("x"), %arg1: tensor<4x6xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {"model"}]>} loc("w")) -> (tensor<8x6xf32> {jax.result_info = "[0]", sdy.sharding = #sdy.sharding<@mesh, [{"data"}, {"model"}]>}, tensor<6xf32> {jax.result_info = "[1]", sdy.sharding = #sdy.sharding<@mesh, [{}]>}) {
    %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<8x4xf32>, tensor<4x6xf32>) -> tensor<8x6xf32> loc(#loc5)
    %1 = sdy.sharding_constraint %0 <@mesh, [{"data"}, {"model"}]> : tensor<8x6xf32> loc(#loc6)
    %2 = stablehlo.custom_call @annotate_device_placement(%1) {has_side_effect = true, mhlo.frontend_attributes = {_xla_buffer_placement = "device"}, sdy.sharding_rule = #sdy.op_sharding_rule<([i, j])->([i, j]) {i=8, j=6}, custom>} : (tensor<8x6xf32>) -> tensor<8x6xf32> loc(#loc6)
    %3 = sdy.manual_computation(%2) in_shardings=[<@mesh, [{"data"}, {"model"}]>] out_shardings=[<@mesh, [{"model"}]>] manual_axes={"data", "model"} (%arg2: tensor<4x3xf32> loc("jit(mlp)/jit(main)/shard_map"(#loc3))) {
      %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32> loc(#loc7)
      %4 = stablehlo.reduce(%arg2 init: %cst) applies stablehlo.add across dimensions = [0] : (tensor<4x3xf32>, tensor<f32>) -> tensor<3xf32> loc(#loc7)
      %5 = "stablehlo.all_reduce"(%4) <{channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, replica_groups = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>, use_global_device_ids}> ({
      ^bb0(%a: tensor<f32> loc("jit(mlp)/jit(main)/psum"(#loc3)), %b: tensor<f32> loc("jit(mlp)/jit(main)/psum"(#loc3))):
        %6 = stablehlo.add %a, %b : tensor<f32> loc(#loc8)
        stablehlo.return %6 : tensor<f32> loc(#loc8)
      }) : (tensor<3xf32>) -> tensor<3xf32> loc(#loc8)
      sdy.return %5 : tensor<3xf32> loc(#loc7)
    } : (tensor<8x6xf32>) -> tensor<6xf32> loc(#loc7)
    return %2, %3 : tensor<8x6xf32>, tensor<6xf32> loc(#loc)
  } loc(#loc)
} loc(#loc)
#loc = loc(unknown)
#loc4 = loc("/src/mlp.py":14:0)
#loc5 = loc("jit(mlp)/jit(main)/dot_general"(#loc4))
#loc6 = loc("jit(mlp)/jit(main)/sharding_constraint"(#loc4))
#loc7 = loc("jit(mlp)/jit(main)/shard_map"(#loc3))
#loc8 = loc("jit(mlp)/jit(main)/psum"(#loc3))
