// Two constant vectors, so that 'hlo4j run inputs.mlir -o DIR' writes the inputs of add.mlir as .npy files.
func.func @main() -> (tensor<4xf32>, tensor<4xf32>) {
  %x = stablehlo.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = stablehlo.constant dense<[10.0, 20.0, 30.0, 40.0]> : tensor<4xf32>
  func.return %x, %y : tensor<4xf32>, tensor<4xf32>
}
