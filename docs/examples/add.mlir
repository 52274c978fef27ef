// x * y + x, element by element: the first example of docs/getting-started.md and docs/cli.md.
func.func @main(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.multiply %x, %y : tensor<4xf32>
  %1 = stablehlo.add %0, %x : tensor<4xf32>
  func.return %1 : tensor<4xf32>
}
