package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.FloatType;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.runtime.interp.ChloBroadcastKernelsTest.run2;
import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * chlo.zeta and chlo.polygamma against scipy.special (fixtures/special/zeta_polygamma.txt, written by
 * scripts/gen_special_fixtures.py, with a float64 transcription of XLA's decomposition) in f64 and f32, and the special values of the CHLO decomposition.
 */
class SpecialChloKernelsTest {
    record Case(String fn, double a, double b, double expected, double xla) {}

    static List<Case> cases() throws Exception {
        Path p = Path.of(SpecialChloKernelsTest.class.getResource("/fixtures/special/zeta_polygamma.txt").toURI());
        List<Case> out = new ArrayList<>();
        for (String line : Files.readAllLines(p)) {
            if (line.isBlank()) continue;
            String[] f = line.trim().split(" ");
            out.add(new Case(f[0], Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4])));
        }
        return out;
    }

    /** Runs every case of {@code fn} as one tensor op of type {@code ft}; returns the results in case order. */
    static double[] runAll(List<Case> cs, FloatType ft) {
        double[] a = new double[cs.size()], b = new double[cs.size()];
        for (int i = 0; i < a.length; i++) { a[i] = cs.get(i).a; b[i] = cs.get(i).b; }
        String op = "chlo." + cs.get(0).fn;
        return run2(op, Ir.reals(ft, shape(a.length), a), Ir.reals(ft, shape(b.length), b), t(ft, a.length)).re;
    }

    @Test
    void zetaAndPolygammaMatchScipy() throws Exception {
        List<Case> all = cases();
        for (String fn : List.of("zeta", "polygamma")) {
            List<Case> cs = all.stream().filter(c -> c.fn.equals(fn)).toList();
            assertThat(cs).hasSizeGreaterThan(30);
            double[] r64 = runAll(cs, FloatType.F64), r32 = runAll(cs, FloatType.F32);
            for (int i = 0; i < cs.size(); i++) {
                Case c = cs.get(i);
                double tol = Math.abs(c.expected);
                // XLA's decomposition, transcribed in the generator, to rounding; scipy to the decomposition's 1e-7
                assertThat(r64[i]).as("f64 %s(%s, %s)", fn, c.a, c.b).isCloseTo(c.xla, org.assertj.core.data.Offset.offset(tol * 1e-13));
                assertThat(r64[i]).as("f64 %s(%s, %s) vs scipy", fn, c.a, c.b).isCloseTo(c.expected, org.assertj.core.data.Offset.offset(tol * 1e-6));
                // f32: inputs rounded to f32 (0.3 and 3.7 move by < 1e-7 relative), every step rounded to f32
                assertThat(r32[i]).as("f32 %s(%s, %s)", fn, c.a, c.b).isCloseTo((float) c.expected, org.assertj.core.data.Offset.offset(tol * 2e-5 + 1e-37)); // below f32's normals: 0
            }
        }
    }

    @Test
    void zetaSpecialValues() {
        //              x<1   x=1  q<=0 x not int  pole, x even  pole, x odd  q<=0 x int (no pole)
        double[] x = {0.5, 1.0, 2.5, 2.0, 3.0, 1.0};
        double[] q = {2.0, 3.0, -1.5, -2.0, 0.0, -0.5};
        for (FloatType ft : List.of(FloatType.F32, FloatType.F64)) {
            double[] r = run2("chlo.zeta", Ir.reals(ft, shape(6), x), Ir.reals(ft, shape(6), q), t(ft, 6)).re;
            assertThat(r[0]).isNaN();
            assertThat(r[1]).isEqualTo(Double.POSITIVE_INFINITY);
            assertThat(r[2]).isNaN();
            assertThat(r[3]).isEqualTo(Double.POSITIVE_INFINITY);
            assertThat(r[4]).isNaN();
            assertThat(r[5]).isEqualTo(Double.POSITIVE_INFINITY); // x = 1 wins over everything
        }
    }

    @Test
    void polygammaSpecialValues() {
        // n not a natural number -> NaN; n = 0 is digamma (psi(2.5) = 0.70315664064524318723 by hand: 1/1.5 + psi(1.5),
        // psi(1.5) = 2 - gamma - 2 ln 2); n = 1 at x = 0 is the pole of zeta(2, 0): +inf
        double[] n = {1.5, -1, 0, 1};
        double[] x = {2, 2, 2.5, 0};
        double psi25 = 1 / 1.5 + 2 - 0.57721566490153286061 - 2 * Math.log(2);
        for (FloatType ft : List.of(FloatType.F32, FloatType.F64)) {
            double[] r = run2("chlo.polygamma", Ir.reals(ft, shape(4), n), Ir.reals(ft, shape(4), x), t(ft, 4)).re;
            assertThat(r[0]).isNaN();
            assertThat(r[1]).isNaN();
            assertThat(r[2]).isCloseTo(psi25, org.assertj.core.data.Offset.offset(ft == FloatType.F64 ? 1e-14 : 1e-6));
            assertThat(r[3]).isEqualTo(Double.POSITIVE_INFINITY);
        }
    }

    @Test
    void halfPrecisionIsComputedInF32AndRoundedOnce() {
        // zeta(2, 1) = pi^2/6 = 1.6449..., nearest bf16 is 1.6484375 (0x3FD3), nearest f16 is 1.6445312
        double[] bf = run2("chlo.zeta", Ir.reals(FloatType.BF16, shape(1), 2), Ir.reals(FloatType.BF16, shape(1), 1), t(FloatType.BF16, 1)).re;
        double[] hf = run2("chlo.zeta", Ir.reals(FloatType.F16, shape(1), 2), Ir.reals(FloatType.F16, shape(1), 1), t(FloatType.F16, 1)).re;
        assertThat(bf[0]).isEqualTo(1.6484375);
        assertThat(hf[0]).isEqualTo(1.64453125);
    }

    @Test
    void asinAcosKernelIsAccurateNearTheRealAxis() {
        // Taylor in y of sqrt(1 - z^2) and asin(z) (relative remainder O(y^2) < 1e-15 here): off (-1, 1), w.re = x y / sqrt(x^2 - 1);
        // inside, w.im = y / sqrt(1 - x^2), also for y below 4 sqrt(min normal) (Hull's case 1). Forming a - x or
        // a - 1 directly loses these to cancellation (4e-4 and 7e-5 relative error at y = 1e-6, all digits at 1e-9).
        io.hlo4j.mlir.types.ComplexType c128 = new io.hlo4j.mlir.types.ComplexType(FloatType.F64);
        double[] re = {2, -2, 0.5, -0.5, 0.5, 1e-5, 1.5}, im = {1e-8, 1e-9, -1e-8, 1e-9, 1e-170, 1e-9, -1e-8};
        Tensor w = ChloBroadcastKernelsTest.run1("chlo._asin_acos_kernel", Tensor.ofComplex(t(c128, 7), re.clone(), im.clone()), t(c128, 7));
        org.assertj.core.data.Percentage ulps = org.assertj.core.data.Percentage.withPercentage(1e-12); // 1e-14 relative
        for (int i : new int[] {0, 1, 6}) {
            double x = Math.abs(re[i]), y = Math.abs(im[i]);
            assertThat(w.re[i]).as("re %s", i).isCloseTo(x * y / Math.sqrt(x * x - 1), ulps);
        }
        for (int i : new int[] {2, 3, 4, 5}) {
            double x = Math.abs(re[i]), y = Math.abs(im[i]);
            assertThat(w.im[i]).as("im %s", i).isCloseTo(y / Math.sqrt(1 - x * x), ulps);
        }
    }

    @Test
    void asinAcosKernelByHandAndThroughTheAsinIdentity() {
        // z = 2: a = 2, w = 0 + i log(2 + sqrt 3); z = i: a = sqrt 2, w = sqrt 2 + i log(1 + sqrt 2); z = 0.5: w = sqrt(0.75)
        io.hlo4j.mlir.types.ComplexType c64 = new io.hlo4j.mlir.types.ComplexType(FloatType.F64);
        double[] re = {2, 0, 0.5, -0.3, 3, -1e5, -1e200}, im = {0, 1, 0, 0.7, -2, 3e4, 1e199};
        Tensor z = Tensor.ofComplex(t(c64, 7), re.clone(), im.clone());
        Tensor w = ChloBroadcastKernelsTest.run1("chlo._asin_acos_kernel", z, t(c64, 7));
        org.assertj.core.data.Offset<Double> tight = org.assertj.core.data.Offset.offset(1e-15);
        assertThat(w.re[0]).isEqualTo(0);
        assertThat(w.im[0]).isCloseTo(Math.log(2 + Math.sqrt(3)), tight);
        assertThat(w.re[1]).isCloseTo(Math.sqrt(2), tight);
        assertThat(w.im[1]).isCloseTo(Math.log(1 + Math.sqrt(2)), tight);
        assertThat(w.re[2]).isCloseTo(Math.sqrt(0.75), tight);
        assertThat(w.im[2]).isEqualTo(0);
        // |z| = 1e200 * sqrt(1.01): a = |z| to rounding, so w.re = sqrt(a^2 - x^2) = |y| and w.im = log(2 |z|)
        assertThat(w.re[6]).isCloseTo(1e199, org.assertj.core.data.Offset.offset(1e186));
        assertThat(w.im[6]).isCloseTo(Math.log(2) + Math.log(1e200) + 0.5 * Math.log(1.01), org.assertj.core.data.Offset.offset(1e-12));
        // asin(z) = atan2(x, w.re) + i sign(y) w.im (sign as copysign: +0 takes the upper branch), against the interpreter's chlo.asin (ComplexInverse)
        Tensor asin = ChloBroadcastKernelsTest.run1("chlo.asin", z, t(c64, 7));
        for (int i = 0; i < 6; i++) { // the interpreter's chlo.asin overflows at 1e200
            double scale = Math.max(1, Math.abs(asin.im[i]));
            assertThat(Math.atan2(re[i], w.re[i])).as("re asin %s", i).isCloseTo(asin.re[i], org.assertj.core.data.Offset.offset(1e-14));
            assertThat(Math.copySign(w.im[i], im[i])).as("im asin %s", i).isCloseTo(asin.im[i], org.assertj.core.data.Offset.offset(1e-14 * scale));
        }
    }
}
