module @jit_lu attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main() -> (tensor<2x2xf32> {jax.result_info = "[0]"}, tensor<2xi32> {jax.result_info = "[1]"}) {
    %cst = stablehlo.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
    %0:2 = stablehlo.custom_call @lapack_sgetrf_ffi(%cst) {api_version = 4 : i32} : (tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2xi32>)
    return %0#0, %0#1 : tensor<2x2xf32>, tensor<2xi32>
  }
}
