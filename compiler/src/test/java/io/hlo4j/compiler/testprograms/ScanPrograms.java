package io.hlo4j.compiler.testprograms;

/**
 * The chlo.scan programs that both the gradient tests (ad/ScanGradTest) and the vmap tests (batch/ScanBatchRulesTest)
 * check: one text each, so the two suites test the same programs.
 */
public final class ScanPrograms {
    private ScanPrograms() {}

    /**
     * An RNN cell scanned along dimension 0 of [5, 3] (forwards, or backwards when {@code reverse}): carry h, a
     * pass-through weight carry w, an integer step counter.
     */
    public static String rnn(boolean reverse) {
        return """
                func.func @f(%x: tensor<5x3xf64>, %h0: tensor<3xf64>, %w0: tensor<3xf64>) -> (tensor<5x3xf64>, tensor<3xf64>, tensor<i64>) {
                  %k0 = stablehlo.constant dense<0> : tensor<i64>
                  %r:4 = chlo.scan(%x) inits (%h0, %w0, %k0) dimension=0 ATTRS {
                  ^bb0(%xt: tensor<3xf64>, %h: tensor<3xf64>, %w: tensor<3xf64>, %k: tensor<i64>):
                    %hw = stablehlo.multiply %h, %w : tensor<3xf64>
                    %a = stablehlo.add %hw, %xt : tensor<3xf64>
                    %hn = stablehlo.tanh %a : tensor<3xf64>
                    %y = stablehlo.multiply %hn, %hn : tensor<3xf64>
                    %one = stablehlo.constant dense<1> : tensor<i64>
                    %kn = stablehlo.add %k, %one : tensor<i64>
                    stablehlo.return %y, %hn, %w, %kn : tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<i64>
                  } : (tensor<5x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<i64>) -> (tensor<5x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<i64>)
                  return %r#0, %r#1, %r#3 : tensor<5x3xf64>, tensor<3xf64>, tensor<i64>
                }""".replace("ATTRS", reverse ? "attributes {is_reverse = true}" : "");
    }

    /** A scan along dimension 1 of [2, 4] with two inputs (one integer), the carry stacked along dimension 1. */
    public static final String SCAN_DIM1_WITH_INT_INPUT = """
            func.func @f(%x: tensor<2x4xf64>, %m: tensor<2x4xi64>, %c0: tensor<2xf64>) -> (tensor<2x4xf64>, tensor<2xf64>) {
              %r:2 = chlo.scan(%x, %m) inits (%c0) dimension=1 {
              ^bb0(%xt: tensor<2xf64>, %mt: tensor<2xi64>, %c: tensor<2xf64>):
                %mf = stablehlo.convert %mt : (tensor<2xi64>) -> tensor<2xf64>
                %p = stablehlo.multiply %c, %xt : tensor<2xf64>
                %s = stablehlo.sine %p : tensor<2xf64>
                %cn = stablehlo.add %s, %mf : tensor<2xf64>
                %y = stablehlo.multiply %cn, %xt : tensor<2xf64>
                stablehlo.return %y, %cn : tensor<2xf64>, tensor<2xf64>
              } : (tensor<2x4xf64>, tensor<2x4xi64>, tensor<2xf64>) -> (tensor<2x4xf64>, tensor<2xf64>)
              return %r#0, %r#1 : tensor<2x4xf64>, tensor<2xf64>
            }""";
}
