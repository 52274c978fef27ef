package io.hlo4j.mlir.testing;

/** A function whose while loop never ends (its condition is the constant true), for deadlines and cancellation. */
public final class EndlessWhile {
    private EndlessWhile() {}

    /** {@code func.func @name() -> tensor<i32>}, 11 lines; its loop's condition is true forever. */
    public static String function(String name) {
        return """
                func.func @%s() -> tensor<i32> {
                  %%c0 = stablehlo.constant dense<0> : tensor<i32>
                  %%r = stablehlo.while(%%i = %%c0) : tensor<i32>
                    cond {
                      %%t = stablehlo.constant dense<true> : tensor<i1>
                      stablehlo.return %%t : tensor<i1>
                    } do {
                      stablehlo.return %%i : tensor<i32>
                    }
                  func.return %%r : tensor<i32>
                }
                """.formatted(name);
    }
}
