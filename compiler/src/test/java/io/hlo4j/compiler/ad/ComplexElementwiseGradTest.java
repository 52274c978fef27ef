package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/**
 * Every element-wise op that takes complex operands, differentiated in JAX's convention: x, y real, z = x + iy, the
 * op applied, and re(w), im(w) returned as two real results, so the finite differences of the real parameters check
 * both partial derivatives of both parts (holomorphic or not). Inputs lie in the first quadrant with 0.2 <= x, y <=
 * 0.8, away from every branch cut (log, sqrt, pow on the negative real axis; asin/acos/atanh on |re| > 1, acosh on
 * re < 1, asinh/atan on the imaginary axis beyond i) and from the poles of tan.
 */
class ComplexElementwiseGradTest {
    private static final String T = "tensor<5xcomplex<f64>>";

    private static HostArray u(Random r) { return uniform(f64(5), r, 0.2, 0.8); }

    @ParameterizedTest
    @ValueSource(strings = {"stablehlo.exponential", "stablehlo.exponential_minus_one", "stablehlo.log",
            "stablehlo.log_plus_one", "stablehlo.sqrt", "stablehlo.rsqrt", "stablehlo.sine", "stablehlo.cosine",
            "stablehlo.tan", "stablehlo.tanh", "stablehlo.negate", "stablehlo.sign", "stablehlo.logistic",
            "chlo.asin", "chlo.acos", "chlo.atan", "chlo.asinh", "chlo.acosh", "chlo.atanh", "chlo.sinh", "chlo.cosh",
            "chlo.tan", "chlo.conj"})
    void unary(String op) {
        Random r = new Random(op.hashCode());
        String type = op.startsWith("chlo.") ? T + " -> " + T : T;
        GradCheck.check(f("%w = " + op + " %z : " + type), List.of(u(r), u(r)), 17);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stablehlo.add", "stablehlo.subtract", "stablehlo.multiply", "stablehlo.divide",
            "stablehlo.power"})
    void binary(String op) {
        Random r = new Random(op.hashCode());
        // The second operand is z with its parts swapped and scaled: both operands depend on both parameters.
        GradCheck.check(f("""
                %sx = stablehlo.multiply %y, %y : tensor<5xf64>
                %v = stablehlo.complex %sx, %x : tensor<5xcomplex<f64>>
                %w = OP %z, %v : TYPE""".replace("OP", op).replace("TYPE", T)), List.of(u(r), u(r)), 19);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stablehlo.abs"})
    void toReal(String op) {
        Random r = new Random(op.hashCode());
        GradCheck.check("""
                func.func @f(%x: tensor<5xf64>, %y: tensor<5xf64>) -> tensor<5xf64> {
                  %z = stablehlo.complex %x, %y : tensor<5xcomplex<f64>>
                  %a = OP %z : (tensor<5xcomplex<f64>>) -> tensor<5xf64>
                  return %a : tensor<5xf64>
                }""".replace("OP", op), List.of(u(r), u(r)), 23);
    }

    private static String f(String body) {
        return """
                func.func @f(%x: tensor<5xf64>, %y: tensor<5xf64>) -> (tensor<5xf64>, tensor<5xf64>) {
                  %z = stablehlo.complex %x, %y : tensor<5xcomplex<f64>>
                """ + body.indent(2) + """
                  %re = stablehlo.real %w : (tensor<5xcomplex<f64>>) -> tensor<5xf64>
                  %im = stablehlo.imag %w : (tensor<5xcomplex<f64>>) -> tensor<5xf64>
                  return %re, %im : tensor<5xf64>, tensor<5xf64>
                }""";
    }
}
