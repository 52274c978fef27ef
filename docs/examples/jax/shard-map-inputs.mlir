// The input of gspmd-shard-map.mlir: 'hlo4j run shard-map-inputs.mlir -o DIR' writes DIR/result0.npy.
func.func @main() -> tensor<2x4xf32> {
  %x = stablehlo.iota dim = 1 : tensor<2x4xf32>
  func.return %x : tensor<2x4xf32>
}
