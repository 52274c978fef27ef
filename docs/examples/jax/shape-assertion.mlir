module @jit_f attributes {jax.uses_shape_polymorphism = true, mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<i64> {jax.global_constant = "b"}, %arg1: tensor<6x4xf32>) -> (tensor<6xf32> {jax.result_info = ""}) {
    %c = stablehlo.constant dense<6> : tensor<i64>
    %0 = stablehlo.compare  EQ, %arg0, %c,  SIGNED : (tensor<i64>, tensor<i64>) -> tensor<i1>
    stablehlo.custom_call @shape_assertion(%0, %arg0) {api_version = 2 : i32, error_message = "Input shapes do not match the polymorphic shapes specification. Expected value 6 for dimension variable 'b', got {0}; b = {0}.", has_side_effect = true} : (tensor<i1>, tensor<i64>) -> ()
    %1 = call @_wrapped_jax_export_main(%arg0, %arg1) : (tensor<i64>, tensor<6x4xf32>) -> tensor<6xf32>
    return %1 : tensor<6xf32>
  }
  func.func private @_wrapped_jax_export_main(%arg0: tensor<i64> {jax.global_constant = "b"}, %arg1: tensor<6x4xf32>) -> tensor<6xf32> {
    %cst = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %0 = stablehlo.reduce(%arg1 init: %cst) applies stablehlo.maximum across dimensions = [1] : (tensor<6x4xf32>, tensor<f32>) -> tensor<6xf32>
    return %0 : tensor<6xf32>
  }
}
