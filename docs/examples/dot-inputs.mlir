// The inputs of dot.mlir: 'hlo4j run dot-inputs.mlir -o DIR' writes them as DIR/result0.npy and DIR/result1.npy.
func.func @main() -> (tensor<2x3xf32>, tensor<3x2xf32>) {
  %a = stablehlo.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = stablehlo.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]> : tensor<3x2xf32>
  func.return %a, %b : tensor<2x3xf32>, tensor<3x2xf32>
}
