package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/** Element-wise math: gradients against central finite differences (f64, fixed seeds, rel. error <= 1e-6). */
class ElementwiseGradTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "stablehlo.negate, -2, 2", "stablehlo.exponential, -2, 2", "stablehlo.exponential_minus_one, -2, 2",
            "stablehlo.log, 0.5, 3", "stablehlo.log_plus_one, -0.5, 2", "stablehlo.sqrt, 0.5, 3", "stablehlo.rsqrt, 0.5, 3",
            "stablehlo.cbrt, 0.5, 3", "stablehlo.tanh, -2, 2", "stablehlo.tan, -1, 1", "stablehlo.logistic, -3, 3",
            "stablehlo.sine, -3, 3", "stablehlo.cosine, -3, 3", "stablehlo.abs, 0.2, 2", "chlo.erf, -2, 2",
            "chlo.sinh, -2, 2", "chlo.cosh, -2, 2", "chlo.atan, -2, 2", "chlo.tan, -1, 1", "chlo.erfc, -2, 2",
            "chlo.erf_inv, -0.8, 0.8", "chlo.asin, -0.8, 0.8", "chlo.acos, -0.8, 0.8", "chlo.atanh, -0.8, 0.8",
            "chlo.asinh, -2, 2", "chlo.acosh, 1.2, 3", "chlo.lgamma, 0.3, 4",
    })
    void unary(String op, double lo, double hi) {
        String f = GradCheck.unaryF64(op);
        Random r = new Random(op.hashCode());
        GradCheck.check(f, List.of(uniform(f64(2, 3), r, lo, hi)), 1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "stablehlo.add, -2, 2, -2, 2", "stablehlo.subtract, -2, 2, -2, 2", "stablehlo.multiply, -2, 2, -2, 2",
            "stablehlo.divide, -2, 2, 0.5, 2", "stablehlo.maximum, -2, 2, -2, 2", "stablehlo.minimum, -2, 2, -2, 2",
            "stablehlo.power, 0.5, 2, -2, 2", "stablehlo.atan2, -2, 2, -2, 2", "stablehlo.remainder, 3, 5, 0.7, 1.3",
    })
    void binary(String op, double lo1, double hi1, double lo2, double hi2) {
        String f = """
                func.func @f(%x: tensor<4xf64>, %y: tensor<4xf64>) -> tensor<4xf64> {
                  %0 = "OP"(%x, %y) : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xf64>
                  return %0 : tensor<4xf64>
                }""".replace("OP", op);
        Random r = new Random(op.hashCode());
        HostArray x = uniform(f64(4), r, lo1, hi1), y = uniform(f64(4), r, lo2, hi2);
        GradCheck.check(f, List.of(x, y), 2);
    }

    @org.junit.jupiter.api.Test
    void fanOutAccumulatesAndUnusedArgumentGetsZeros() {
        // f(x, y, z) = x*x + exp(x) ; z unused; y used only through stop_gradient-free path once
        String f = """
                func.func @f(%x: tensor<3xf64>, %y: tensor<3xf64>, %z: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = stablehlo.multiply %x, %x : tensor<3xf64>
                  %1 = stablehlo.exponential %x : tensor<3xf64>
                  %2 = stablehlo.add %0, %1 : tensor<3xf64>
                  %3 = stablehlo.multiply %2, %y : tensor<3xf64>
                  return %3 : tensor<3xf64>
                }""";
        Random r = new Random(7);
        GradCheck.check(f, List.of(uniform(f64(3), r, -1, 1), uniform(f64(3), r, -1, 1), uniform(f64(3), r, -1, 1)), 3);
    }
}
