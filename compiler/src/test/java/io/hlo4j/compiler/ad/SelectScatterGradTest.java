package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/** select_and_scatter: source and init gradients against central finite differences (operand: zero a.e.). */
class SelectScatterGradTest {
    private final Random r = new Random(9);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    private static String op(String dir) {
        return """
                func.func @f(%x: tensor<4x5xf64>, %s: tensor<4x2xf64>, %i: tensor<f64>) -> tensor<4x5xf64> {
                  %0 = "stablehlo.select_and_scatter"(%x, %s, %i) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %c = stablehlo.compare DIR, %a, %b : (tensor<f64>, tensor<f64>) -> tensor<i1>
                      stablehlo.return %c : tensor<i1>
                  }, {
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %c = stablehlo.add %a, %b : tensor<f64>
                      stablehlo.return %c : tensor<f64>
                  }) {window_dimensions = array<i64: 2, 3>, window_strides = array<i64: 1, 2>,
                      padding = dense<[[1, 0], [0, 1]]> : tensor<2x2xi64>} : (tensor<4x5xf64>, tensor<4x2xf64>, tensor<f64>) -> tensor<4x5xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<4x5xf64>
                  return %1 : tensor<4x5xf64>
                }""".replace("DIR", dir);
    }

    @Test
    void maxSelectOverlappingPaddedWindows() {
        // Overlapping windows (stride 1 < window 2) and windows reaching into the padding; the square after it makes
        // the cotangent depend on the result, so a wrong pick shows in the source gradient.
        GradCheck.check(op("GE"), List.of(u(4, 5), u(4, 2), u()), 41);
    }

    @Test
    void minSelect() {
        GradCheck.check(op("LE"), List.of(u(4, 5), u(4, 2), u()), 42);
    }
}
