// What partial-manual.mlir computes, written for one device: tanh(x[0:4] @ w) + tanh(x[4:8] @ w).
func.func @main(%x: tensor<8x8xf32>, %w: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %0 = stablehlo.slice %x [0:4, 0:8] : (tensor<8x8xf32>) -> tensor<4x8xf32>
  %1 = stablehlo.slice %x [4:8, 0:8] : (tensor<8x8xf32>) -> tensor<4x8xf32>
  %2 = stablehlo.dot_general %0, %w, contracting_dims = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %3 = stablehlo.dot_general %1, %w, contracting_dims = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %4 = stablehlo.tanh %2 : tensor<4x4xf32>
  %5 = stablehlo.tanh %3 : tensor<4x4xf32>
  %6 = stablehlo.add %4, %5 : tensor<4x4xf32>
  func.return %6 : tensor<4x4xf32>
}
