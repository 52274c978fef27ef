// partial-manual-halo.mlir written for one device: the window of 3 columns on every row, then the two x-blocks of rows added.
func.func @main(%x: tensor<4x16xf32>) -> tensor<2x16xf32> {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %w = "stablehlo.reduce_window"(%x, %z) <{window_dimensions = array<i64: 1, 3>, padding = dense<[[0, 0], [1, 1]]> : tensor<2x2xi64>}> ({
  ^bb0(%p: tensor<f32>, %q: tensor<f32>):
    %s = stablehlo.add %p, %q : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %0 = stablehlo.slice %w [0:2, 0:16] : (tensor<4x16xf32>) -> tensor<2x16xf32>
  %1 = stablehlo.slice %w [2:4, 0:16] : (tensor<4x16xf32>) -> tensor<2x16xf32>
  %2 = stablehlo.add %0, %1 : tensor<2x16xf32>
  func.return %2 : tensor<2x16xf32>
}
