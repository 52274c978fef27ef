package io.hlo4j.mlir.testing;

/**
 * JAX-style modules (every op, the function and the module under {@code #loc1 = loc(unknown)}) with one bad op each;
 * its place counted by hand (the op's first token: its result name, or the op name). Shared by the verifier's and the
 * CLI's tests.
 */
public final class JaxStyle {
    private JaxStyle() {}

    /** The return (line 5, column 5) returns tensor<4xf32> from a function declared to return tensor<8xf32>. */
    public static final String RETURN = """
            #loc1 = loc(unknown)
            module @jit_f attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
              func.func public @main(%arg0: tensor<4xf32> loc(unknown)) -> (tensor<8xf32>) {
                %0 = stablehlo.add %arg0, %arg0 : tensor<4xf32> loc(#loc1)
                return %0 : tensor<4xf32> loc(#loc1)
              } loc(#loc1)
            } loc(#loc1)
            """;

    /** The constant (line 4, column 5) holds a tensor<4xf32> value but declares tensor<4xf64>. */
    public static final String CONSTANT = """
            #loc1 = loc(unknown)
            module @jit_f {
              func.func public @main() -> (tensor<4xf64>) {
                %c = "stablehlo.constant"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf64> loc(#loc1)
                return %c : tensor<4xf64> loc(#loc1)
              } loc(#loc1)
            } loc(#loc1)
            """;

    /** A sine of an integer (line 8, column 7) inside a reduce's body. */
    public static final String NESTED = """
            #loc1 = loc(unknown)
            module @jit_f {
              func.func public @main(%arg0: tensor<4xi32> loc(unknown)) -> (tensor<i32>) {
                %cst = stablehlo.constant dense<0> : tensor<i32> loc(#loc1)
                %0 = stablehlo.reduce(%arg0 init: %cst) across dimensions = [0] : (tensor<4xi32>, tensor<i32>) -> tensor<i32>
                 reducer(%a: tensor<i32> loc(unknown), %b: tensor<i32> loc(unknown))  {
                  %s = stablehlo.add %a, %b : tensor<i32> loc(#loc1)
                  %t = stablehlo.sine %s : tensor<i32> loc(#loc1)
                  stablehlo.return %t : tensor<i32> loc(#loc1)
                } loc(#loc1)
                return %0 : tensor<i32> loc(#loc1)
              } loc(#loc1)
            } loc(#loc1)
            """;
}
