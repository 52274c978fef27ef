package io.hlo4j.mlir.testing;

/** Programs of stablehlo.while loops nested in each other's bodies, for the parser's and printer's nesting limits. */
public final class NestedWhiles {
    private NestedWhiles() {}

    /**
     * {@code n} stablehlo.while loops, each in the body of the one before; loop {@code i}'s compare stands at line
     * 4 + 5 * i (the pretty form nests n + 3 levels of brackets).
     */
    public static String text(int n) {
        StringBuilder b = new StringBuilder("func.func @main(%x: tensor<i32>) -> tensor<i32> {\n");
        for (int i = 0; i < n; i++) {
            b.append("  %r").append(i).append(" = stablehlo.while(%i").append(i).append(" = %x) : tensor<i32>\n   cond {\n    %c").append(i)
                    .append(" = stablehlo.compare NE, %i").append(i).append(", %x : (tensor<i32>, tensor<i32>) -> tensor<i1>\n    stablehlo.return %c")
                    .append(i).append(" : tensor<i1>\n   } do {\n");
        }
        for (int i = n - 1; i >= 0; i--) b.append("    stablehlo.return %i").append(i).append(" : tensor<i32>\n   }\n");
        return b.append("  func.return %x : tensor<i32>\n}\n").toString();
    }
}
