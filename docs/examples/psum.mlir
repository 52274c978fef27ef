// On each of 4 devices: its partition id + 1, summed over all of them by an all_reduce (1 + 2 + 3 + 4 = 10).
func.func @main() -> tensor<i32> {
  %id = stablehlo.partition_id : tensor<ui32>
  %i = stablehlo.convert %id : (tensor<ui32>) -> tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %v = stablehlo.add %i, %one : tensor<i32>
  %s = "stablehlo.all_reduce"(%v) ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %t = stablehlo.add %a, %b : tensor<i32>
    stablehlo.return %t : tensor<i32>
  }) {replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, use_global_device_ids} : (tensor<i32>) -> tensor<i32>
  func.return %s : tensor<i32>
}
