// The inputs of partial-manual.mlir: 'hlo4j run partial-manual-inputs.mlir -o DIR' writes DIR/result0.npy (x) and DIR/result1.npy (w).
func.func @main() -> (tensor<8x8xf32>, tensor<8x4xf32>) {
  %i = stablehlo.iota dim = 0 : tensor<8x8xf32>
  %j = stablehlo.iota dim = 1 : tensor<8x8xf32>
  %s = stablehlo.constant dense<0.0625> : tensor<8x8xf32>
  %ij = stablehlo.subtract %i, %j : tensor<8x8xf32>
  %x = stablehlo.multiply %ij, %s : tensor<8x8xf32>
  %k = stablehlo.iota dim = 0 : tensor<8x4xf32>
  %l = stablehlo.iota dim = 1 : tensor<8x4xf32>
  %t = stablehlo.constant dense<0.125> : tensor<8x4xf32>
  %kl = stablehlo.add %k, %l : tensor<8x4xf32>
  %w = stablehlo.multiply %kl, %t : tensor<8x4xf32>
  func.return %x, %w : tensor<8x8xf32>, tensor<8x4xf32>
}
