// The input of partial-manual-halo.mlir: 'hlo4j run partial-manual-halo-inputs.mlir -o DIR' writes DIR/result0.npy.
func.func @main() -> tensor<4x16xf32> {
  %i = stablehlo.iota dim = 0 : tensor<4x16xf32>
  %j = stablehlo.iota dim = 1 : tensor<4x16xf32>
  %s = stablehlo.constant dense<0.125> : tensor<4x16xf32>
  %t = stablehlo.constant dense<3.0> : tensor<4x16xf32>
  %ij = stablehlo.multiply %i, %t : tensor<4x16xf32>
  %d = stablehlo.subtract %ij, %j : tensor<4x16xf32>
  %x = stablehlo.multiply %d, %s : tensor<4x16xf32>
  func.return %x : tensor<4x16xf32>
}
