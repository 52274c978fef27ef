package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Hlo4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * chlo special functions: gradients against central finite differences (f64, fixed seeds, rel. error <= 1e-6).
 */
class ChloMathGradTest {
    @ParameterizedTest(name = "{0} on [{1}, {2}]")
    @CsvSource({"chlo.digamma, 0.3, 4", "chlo.digamma, -2.7, -2.2", "chlo.bessel_i1e, -3, 3", "chlo.bessel_i1e, 15, 30",
            "chlo.bessel_i1e, -60, -18"})
    void unary(String op, double lo, double hi) {
        String f = GradCheck.unaryF64(op);
        GradCheck.check(f, List.of(uniform(f64(2, 3), new Random(op.hashCode() + (long) lo), lo, hi)), 1);
    }

    @ParameterizedTest(name = "n={0}")
    @CsvSource({"1", "2", "0"})
    void polygammaInX(int n) {
        String f = """
                func.func @f(%x: tensor<5xf64>) -> tensor<5xf64> {
                  %n = stablehlo.constant dense<NN.0> : tensor<5xf64>
                  %0 = "chlo.polygamma"(%n, %x) : (tensor<5xf64>, tensor<5xf64>) -> tensor<5xf64>
                  return %0 : tensor<5xf64>
                }""".replace("NN", "" + n);
        GradCheck.check(f, List.of(uniform(f64(5), new Random(n), 0.4, 4)), 2);
    }

    @Test
    void zetaInQ() {
        String f = """
                func.func @f(%q: tensor<5xf64>) -> tensor<5xf64> {
                  %s = stablehlo.constant dense<[2.5, 3.0, 1.5, 4.0, 2.0]> : tensor<5xf64>
                  %0 = "chlo.zeta"(%s, %q) : (tensor<5xf64>, tensor<5xf64>) -> tensor<5xf64>
                  return %0 : tensor<5xf64>
                }""";
        GradCheck.check(f, List.of(uniform(f64(5), new Random(3), 0.5, 3)), 3);
    }

    @Test
    void broadcastingForms() {
        String f = """
                func.func @f(%x: tensor<2x3xf64>, %q: tensor<3xf64>) -> (tensor<2x3xf64>, tensor<2x3xf64>) {
                  %n = stablehlo.constant dense<1.0> : tensor<f64>
                  %0 = "chlo.broadcast_polygamma"(%n, %x) : (tensor<f64>, tensor<2x3xf64>) -> tensor<2x3xf64>
                  %s = stablehlo.constant dense<[[2.0], [3.5]]> : tensor<2x1xf64>
                  %1 = "chlo.broadcast_zeta"(%s, %q) : (tensor<2x1xf64>, tensor<3xf64>) -> tensor<2x3xf64>
                  return %0, %1 : tensor<2x3xf64>, tensor<2x3xf64>
                }""";
        Random r = new Random(4);
        GradCheck.check(f, java.util.function.UnaryOperator.identity(), List.of(uniform(f64(2, 3), r, 0.5, 3), uniform(f64(3), r, 0.5, 3)), 4);
    }

    @Test
    void conj() {
        String f = """
                func.func @f(%re: tensor<4xf64>, %im: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>) {
                  %z = stablehlo.complex %re, %im : tensor<4xcomplex<f64>>
                  %w = stablehlo.multiply %z, %z : tensor<4xcomplex<f64>>
                  %c = "chlo.conj"(%w) : (tensor<4xcomplex<f64>>) -> tensor<4xcomplex<f64>>
                  %0 = stablehlo.real %c : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
                  %1 = stablehlo.imag %c : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
                  %r = "chlo.conj"(%re) : (tensor<4xf64>) -> tensor<4xf64>
                  %2 = stablehlo.multiply %1, %r : tensor<4xf64>
                  return %0, %2 : tensor<4xf64>, tensor<4xf64>
                }""";
        Random r = new Random(5);
        GradCheck.check(f, List.of(uniform(f64(4), r, -1, 1), uniform(f64(4), r, -1, 1)), 5);
    }

    /** polygamma's n (and zeta's s) have no derivative: a non-constant one is refused by name. */
    @Test
    void nonConstantOrderIsRefused() {
        var m = GradCheck.parse("""
                func.func @f(%n: tensor<3xf64>, %x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "chlo.polygamma"(%n, %x) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64> loc("model.java":7:3)
                  return %0 : tensor<3xf64>
                }""");
        assertThatThrownBy(() -> Autodiff.vjp(m.functions().get(0), new int[] {1}, "g"))
                .isInstanceOfSatisfying(Hlo4jException.class, e -> org.assertj.core.api.Assertions.assertThat(e.format()).isEqualTo(
                        "model.java:7:3: cannot differentiate 'chlo.polygamma': it has no derivative in its argument n (tensor<3xf64>),"
                                + " which is not a constant; make it one or wrap it in stop_gradient"));
    }
}
