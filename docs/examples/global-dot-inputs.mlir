// The inputs of global-dot.mlir: 'hlo4j run global-dot-inputs.mlir -o DIR' writes DIR/result0.npy and DIR/result1.npy.
func.func @main() -> (tensor<4x3xf32>, tensor<3x4xf32>) {
  %a = stablehlo.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]> : tensor<4x3xf32>
  %b = stablehlo.constant dense<[[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]]> : tensor<3x4xf32>
  func.return %a, %b : tensor<4x3xf32>, tensor<3x4xf32>
}
