package io.hlo4j.compiler.batch;

/** Callees shared by the call-batching tests' modules (CallEffectBatchRulesTest, KeptCallsBatchTest). */
final class Callees {
    private Callees() {}

    /** {@code @g(a, b) = @h(sin a, b)} and {@code @h(a, b) = a b + cos b} on f64[3]: a call nested in a callee. */
    static final String G_CALLS_H = """
              func.func private @g(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                %s = stablehlo.sine %a : tensor<3xf64>
                %m = func.call @h(%s, %b) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                return %m : tensor<3xf64>
              }
              func.func private @h(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                %m = stablehlo.multiply %a, %b : tensor<3xf64>
                %c = stablehlo.cosine %b : tensor<3xf64>
                %s = stablehlo.add %m, %c : tensor<3xf64>
                return %s : tensor<3xf64>
              }
            """;
}
