package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/** map: gradients of a multi-input scalar body against central finite differences. */
class MapGradTest {
    @Test
    void twoInputBodyWithTranscendentals() {
        Random r = new Random(4);
        GradCheck.check("""
                func.func @f(%x: tensor<2x3xf64>, %y: tensor<2x3xf64>) -> tensor<2x3xf64> {
                  %0 = "stablehlo.map"(%x, %y) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %s = stablehlo.sine %a : tensor<f64>
                      %m = stablehlo.multiply %s, %b : tensor<f64>
                      %e = stablehlo.exponential %b : tensor<f64>
                      %o = stablehlo.add %m, %e : tensor<f64>
                      stablehlo.return %o : tensor<f64>
                  }) {dimensions = array<i64: 0, 1>} : (tensor<2x3xf64>, tensor<2x3xf64>) -> tensor<2x3xf64>
                  return %0 : tensor<2x3xf64>
                }""", List.of(uniform(f64(2, 3), r, -1, 1), uniform(f64(2, 3), r, -1, 1)), 81);
    }
}
