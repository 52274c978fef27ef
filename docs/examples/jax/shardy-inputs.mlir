// The inputs of shardy-mlp.mlir: 'hlo4j run shardy-inputs.mlir -o DIR' writes DIR/result0.npy (x) and result1.npy (w).
func.func @main() -> (tensor<8x4xf32>, tensor<4x6xf32>) {
  %x = stablehlo.iota dim = 1 : tensor<8x4xf32>
  %w = stablehlo.iota dim = 0 : tensor<4x6xf32>
  func.return %x, %w : tensor<8x4xf32>, tensor<4x6xf32>
}
