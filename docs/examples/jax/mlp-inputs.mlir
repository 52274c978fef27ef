// The inputs of gspmd-mlp.mlir: 'hlo4j run mlp-inputs.mlir -o DIR' writes DIR/result0.npy (x), result1.npy (w1), result2.npy (w2).
func.func @main() -> (tensor<8x4xf32>, tensor<4x8xf32>, tensor<8x2xf32>) {
  %x = stablehlo.iota dim = 0 : tensor<8x4xf32>
  %w1 = stablehlo.constant dense<[[1.0, -1.0, 0.0, 2.0, 1.0, 0.0, -2.0, 1.0], [0.0, 1.0, 1.0, -1.0, 2.0, 1.0, 0.0, 0.0], [1.0, 0.0, -1.0, 0.0, 1.0, 1.0, 1.0, -1.0], [-1.0, 2.0, 0.0, 1.0, 0.0, -1.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %w2 = stablehlo.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [2.0, 0.0], [0.0, 2.0], [1.0, -1.0]]> : tensor<8x2xf32>
  func.return %x, %w1, %w2 : tensor<8x4xf32>, tensor<4x8xf32>, tensor<8x2xf32>
}
