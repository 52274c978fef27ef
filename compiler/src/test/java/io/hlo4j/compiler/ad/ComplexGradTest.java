package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/** complex/real/imag: real-to-real functions through complex arithmetic, against central finite differences. */
class ComplexGradTest {
    private final Random r = new Random(3);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    @Test
    void realAndImagOfAComplexSquare() {
        // w = (x + iy)^2 = x^2 - y^2 + 2ixy; out = re(w) + im(w) * x: both convention signs are exercised.
        GradCheck.check("""
                func.func @f(%x: tensor<4xf64>, %y: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>) {
                  %z = stablehlo.complex %x, %y : tensor<4xcomplex<f64>>
                  %w = stablehlo.multiply %z, %z : tensor<4xcomplex<f64>>
                  %re = stablehlo.real %w : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
                  %im = stablehlo.imag %w : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
                  %p = stablehlo.multiply %im, %x : tensor<4xf64>
                  %o = stablehlo.add %re, %p : tensor<4xf64>
                  %q = stablehlo.imag %z : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
                  return %o, %q : tensor<4xf64>, tensor<4xf64>
                }""", List.of(u(4), u(4)), 61);
    }
}
