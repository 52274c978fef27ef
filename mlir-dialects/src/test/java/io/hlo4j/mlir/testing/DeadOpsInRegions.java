package io.hlo4j.mlir.testing;

/**
 * A module with dead ops inside reduce, while and case regions, and a dead reduce: DeadCode's tests count what goes
 * (by hand), its run tests check that the interpreter gives the same results before and after.
 */
public final class DeadOpsInRegions {
    private DeadOpsInRegions() {}

    /** The module, with {@code topLevel} (whole lines, or "") after its first op, the constant %init. */
    public static String text(String topLevel) {
        return """
                func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>, %idx: tensor<i32>) -> (tensor<f32>, tensor<4xf32>, tensor<4xf32>) {
                  %init = stablehlo.constant dense<0.0> : tensor<f32>
                """ + topLevel + """
                  %r = "stablehlo.reduce"(%a, %init) ({
                    ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                      %d = stablehlo.multiply %x, %y : tensor<f32>
                      %s = stablehlo.add %x, %y : tensor<f32>
                      stablehlo.return %s : tensor<f32>
                  }) {dimensions = array<i64: 0>} : (tensor<4xf32>, tensor<f32>) -> tensor<f32>
                  %deadr = "stablehlo.reduce"(%b, %init) ({
                    ^bb0(%x: tensor<f32>, %y: tensor<f32>):
                      %s = stablehlo.maximum %x, %y : tensor<f32>
                      stablehlo.return %s : tensor<f32>
                  }) {dimensions = array<i64: 0>} : (tensor<4xf32>, tensor<f32>) -> tensor<f32>
                  %c0 = stablehlo.constant dense<0> : tensor<i64>
                  %w:2 = stablehlo.while(%i = %c0, %v = %a) : tensor<i64>, tensor<4xf32>
                    cond {
                      %n = stablehlo.constant dense<3> : tensor<i64>
                      %dc = stablehlo.constant dense<7> : tensor<i64>
                      %p = stablehlo.compare LT, %i, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
                      stablehlo.return %p : tensor<i1>
                    } do {
                      %one = stablehlo.constant dense<1> : tensor<i64>
                      %i2 = stablehlo.add %i, %one : tensor<i64>
                      %e = stablehlo.exponential %v : tensor<4xf32>
                      %e2 = stablehlo.log %e : tensor<4xf32>
                      %v2 = stablehlo.multiply %v, %b : tensor<4xf32>
                      stablehlo.return %i2, %v2 : tensor<i64>, tensor<4xf32>
                    }
                  %k = "stablehlo.case"(%idx) ({
                      %n1 = stablehlo.negate %a : tensor<4xf32>
                      stablehlo.return %a : tensor<4xf32>
                    }, {
                      %ab = stablehlo.abs %b : tensor<4xf32>
                      %m = stablehlo.add %a, %b : tensor<4xf32>
                      stablehlo.return %m : tensor<4xf32>
                    }) : (tensor<i32>) -> tensor<4xf32>
                  return %r, %w#1, %k : tensor<f32>, tensor<4xf32>, tensor<4xf32>
                }
                """;
    }
}
