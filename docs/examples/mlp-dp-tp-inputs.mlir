// Inputs for mlp-dp-tp.mlir: x [8,16], w1 [16,32] and w2 [32,8], small ramps made by iota.
func.func @main() -> (tensor<8x16xf32>, tensor<16x32xf32>, tensor<32x8xf32>) {
  %i = stablehlo.iota dim = 1 : tensor<8x16xf32>
  %r = stablehlo.iota dim = 0 : tensor<8x16xf32>
  %c1 = stablehlo.constant dense<0.0625> : tensor<8x16xf32>
  %s = stablehlo.add %i, %r : tensor<8x16xf32>
  %x = stablehlo.multiply %s, %c1 : tensor<8x16xf32>
  %j = stablehlo.iota dim = 1 : tensor<16x32xf32>
  %c2 = stablehlo.constant dense<0.03125> : tensor<16x32xf32>
  %w1 = stablehlo.multiply %j, %c2 : tensor<16x32xf32>
  %k = stablehlo.iota dim = 0 : tensor<32x8xf32>
  %c3 = stablehlo.constant dense<-0.03125> : tensor<32x8xf32>
  %w2 = stablehlo.multiply %k, %c3 : tensor<32x8xf32>
  func.return %x, %w1, %w2 : tensor<8x16xf32>, tensor<16x32xf32>, tensor<32x8xf32>
}
