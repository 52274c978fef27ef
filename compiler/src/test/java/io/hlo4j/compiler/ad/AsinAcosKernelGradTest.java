package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * chlo._asin_acos_kernel's VJP against finite differences of the interpreter's kernel, in f64. The program is
 * (re, im) -> complex -> kernel -> (real, imag), so the complex/real/imag rules and the kernel rule must agree on
 * JAX's pairing. Each point's full 2x2 Jacobian is read from two VJPs (cotangent 1 on w.re, then on w.im) and
 * compared, per row, with fourth-order central differences. Steps are 1e-3 of the distance from the point to where
 * that output stops being smooth along that direction (z = +-1; for w.re the real axis with |re| > 1, for w.im the
 * real axis with |re| < 1), so one stencil never crosses a kink; w is even and smooth across re = 0, and the
 * stencil may cross it. Points on the kinks and at z = +-1 are excluded from that check by name
 * ({@link #kinksAndSingularPointsExcludedFromTheGeneralCheck}).
 */
class AsinAcosKernelGradTest {
    private static final double TOL = 1e-6;

    record Pt(String region, double x, double y) {}

    /** Random points (seed 11) in every quadrant and in every region where the kernel's definition switches. */
    static List<Pt> checkedPoints() {
        Random r = new Random(11);
        List<Pt> ps = new ArrayList<>();
        int[][] quadrants = {{1, 1}, {-1, 1}, {-1, -1}, {1, -1}};
        for (int[] q : quadrants) {
            for (int k = 0; k < 6; k++) ps.add(polar("generic |z| in [0.05, 5]", q, 0.05 + 4.95 * r.nextDouble(), r));
            // w.re = 1 - O(|z|^2) is rounded to 1e-16 absolutely while its derivatives are O(|z|): below |z| ~ 1e-4
            // differences of it cannot resolve 1e-6 relative error, so the small points stop there.
            for (int k = 0; k < 2; k++) ps.add(polar("small |z| in [1e-4, 1e-2]", q, Math.pow(10, -4 + 2 * r.nextDouble()), r));
            for (int k = 0; k < 2; k++) ps.add(polar("large |z| in [1e3, 1e12]", q, Math.pow(10, 3 + 9 * r.nextDouble()), r));
            // the kernel's own large branch (max(|re|, |im|) >= sqrt(max) / 8 ~ 1.7e153): w.re = |im|, w.im = log(2|z|)
            for (int k = 0; k < 2; k++) ps.add(polar("huge |z| in [1e154, 1e300]", q, Math.pow(10, 154 + 146 * r.nextDouble()), r));
            for (int k = 0; k < 2; k++) {
                ps.add(new Pt("near the real axis, |re| < 1", q[0] * (0.02 + 0.93 * r.nextDouble()), q[1] * Math.pow(10, -12 + 10 * r.nextDouble())));
                ps.add(new Pt("near the real axis, |re| > 1", q[0] * (1.05 + 19 * r.nextDouble()), q[1] * Math.pow(10, -12 + 10 * r.nextDouble())));
            }
            // |im| below 4 sqrt(min normal) with |re| < 1: the kernel's w.im = |im| / sqrt((a - 1)(a + 1)) branch
            ps.add(new Pt("|im| < 4 sqrt(min normal), |re| < 1", q[0] * (0.1 + 0.8 * r.nextDouble()), q[1] * 1e-160 * (1 + r.nextDouble())));
            // |im| below sqrt(max) * 1e-6 with |re| >= sqrt(max) / 8: w.im = log(2 |re|), independent of im
            ps.add(new Pt("|re| huge, |im| < 1e-6 sqrt(max)", q[0] * 1e155 * (1 + r.nextDouble()), q[1] * 1e146 * (1 + r.nextDouble())));
            // near the singular points z = +-1 (the x <= 1 / x > 1 and a <= 1.5 switches are all around)
            for (int s : new int[] {1, -1}) {
                double d = Math.pow(10, -6 + 4 * r.nextDouble()), t = 0.2 + (Math.PI / 2 - 0.4) * r.nextDouble();
                ps.add(new Pt("near z = " + s, s + q[0] * d * Math.cos(t), q[1] * d * Math.sin(t)));
            }
            ps.add(new Pt("on the imaginary axis", 0.0, q[1] * (0.1 + 3 * r.nextDouble())));
        }
        return ps;
    }

    private static Pt polar(String region, int[] q, double rho, Random r) {
        double t = 0.05 + (Math.PI / 2 - 0.1) * r.nextDouble(); // away from the axes, so no stencil reaches a kink
        return new Pt(region, q[0] * rho * Math.cos(t), q[1] * rho * Math.sin(t));
    }

    @Test
    void jacobianMatchesFiniteDifferencesEverywhereOffTheKinks() {
        List<Pt> ps = checkedPoints();
        int n = ps.size();
        double[] x = new double[n], y = new double[n];
        for (int j = 0; j < n; j++) { x[j] = ps.get(j).x(); y[j] = ps.get(j).y(); }
        Module m = GradCheck.parse(kernelProgram(n));
        double[][][] jac = vjpJacobian(m, x, y);
        Interpreter primal = new Interpreter(m);
        double worst = 0;
        for (int out = 0; out < 2; out++) {
            double[] fdx = fourthOrderFd(primal, x, y, out, true, steps(x, y, out, true));
            double[] fdy = fourthOrderFd(primal, x, y, out, false, steps(x, y, out, false));
            for (int j = 0; j < n; j++) {
                double[] g = jac[j][out];
                double norm = Math.hypot(fdx[j], fdy[j]);
                assertThat(norm).as("FD row %d of %s", out, ps.get(j)).isGreaterThan(0);
                double rel = Math.hypot(g[0] - fdx[j], g[1] - fdy[j]) / norm;
                assertThat(rel).as("d w.%s at %s: vjp (%s, %s) vs fd (%s, %s)", out == 0 ? "re" : "im", ps.get(j), g[0], g[1], fdx[j], fdy[j])
                        .isLessThanOrEqualTo(TOL);
                worst = Math.max(worst, rel);
            }
        }
        System.out.printf("asin_acos_kernel: %d points, worst relative error per Jacobian row %.2e%n", n, worst);
    }

    /**
     * On the real axis the kinked output (w.im for |re| < 1, w.re for |re| > 1) behaves like c |im|: the rule gives the
     * mean of its one-sided derivatives, 0, which these points check against one-sided differences (c = 1/sqrt(1 - re^2),
     * resp. |re| / sqrt(re^2 - 1), by hand); the derivatives along the axis are smooth and checked against FD. At z = +-1
     * the derivative is infinite and the rule gives NaN.
     */
    @Test
    void kinksAndSingularPointsExcludedFromTheGeneralCheck() {
        List<Pt> kinks = List.of(new Pt("real axis, w.im kink", 0.3, 0.0), new Pt("real axis, w.im kink", -0.6, -0.0),
                new Pt("real axis, w.re kink", 2.5, 0.0), new Pt("real axis, w.re kink", -4.0, 0.0));
        List<Pt> singular = List.of(new Pt("singular", 1.0, 0.0), new Pt("singular", -1.0, 0.0));
        assertThat(kinks.size() + singular.size()).isLessThan(checkedPoints().size());
        int n = kinks.size();
        double[] x = new double[n], y = new double[n];
        for (int j = 0; j < n; j++) { x[j] = kinks.get(j).x(); y[j] = kinks.get(j).y(); }
        Module m = GradCheck.parse(kernelProgram(n));
        double[][][] jac = vjpJacobian(m, x, y);
        Interpreter primal = new Interpreter(m);
        double[] h = new double[n];
        for (int j = 0; j < n; j++) h[j] = 1e-3 * Math.min(Math.abs(x[j] - 1), Math.abs(x[j] + 1));
        for (int out = 0; out < 2; out++) {
            double[] fdx = fourthOrderFd(primal, x, y, out, true, h);
            for (int j = 0; j < n; j++) {
                assertThat(jac[j][out][0]).as("along the axis, w.%d at %s", out, kinks.get(j)).isCloseTo(fdx[j], offset(TOL * Math.max(1, Math.abs(fdx[j]))));
                assertThat(Math.abs(jac[j][out][1])).as("across the axis, w.%d at %s", out, kinks.get(j)).isEqualTo(0.0);
            }
        }
        double[] up = eval(primal, x, shifted(y, h, 1)), down = eval(primal, x, shifted(y, h, -1)), at = eval(primal, x, y);
        for (int j = 0; j < n; j++) {
            int kinked = Math.abs(x[j]) < 1 ? 1 : 0;
            double c = Math.abs(x[j]) < 1 ? 1 / Math.sqrt(1 - x[j] * x[j]) : Math.abs(x[j]) / Math.sqrt(x[j] * x[j] - 1);
            double fwd = (up[kinked * n + j] - at[kinked * n + j]) / h[j], bwd = (at[kinked * n + j] - down[kinked * n + j]) / h[j];
            assertThat(fwd).as("one-sided derivative above %s", kinks.get(j)).isCloseTo(c, offset(1e-5 * c));
            assertThat(bwd).as("one-sided derivative below %s", kinks.get(j)).isCloseTo(-c, offset(1e-5 * c));
        }
        double[][][] sj = vjpJacobian(GradCheck.parse(kernelProgram(2)), new double[] {singular.get(0).x(), singular.get(1).x()},
                new double[] {singular.get(0).y(), singular.get(1).y()});
        for (double[][] rows : sj) for (double[] row : rows) assertThat(row[0]).as("d/d re at z = +-1").isNaN();
    }

    /**
     * chlo.asin and chlo.acos of complex as CHLO decomposes them through the kernel
     * (asin = atan2(re, w.re) + i sign(im) w.im, acos = atan2(w.re, re) - i sign(im) w.im): their gradients through the
     * kernel's rule are the Cauchy-Riemann Jacobians of asin' = 1 / sqrt(1 - z^2) and acos' = -asin' (principal
     * square root, computed here from z alone). (Finite differences are no oracle here: near the cut re asin ~ pi/2
     * varies by 1e-12 over a step that must stay below |im| ~ 1e-8.)
     */
    @Test
    void asinAndAcosDecomposedThroughTheKernelHaveTheHolomorphicDerivative() {
        List<Pt> ps = new ArrayList<>();
        for (Pt p : checkedPoints()) if (!p.region().contains("huge")) ps.add(p); // 1 - z^2 overflows in the oracle
        int n = ps.size();
        double[] x = new double[n], y = new double[n];
        for (int j = 0; j < n; j++) { x[j] = ps.get(j).x(); y[j] = ps.get(j).y(); }
        for (String fn : List.of("asin", "acos")) {
            Module viaKernel = GradCheck.parse(decomposedProgram(fn, n));
            double[][][] jk = vjpJacobian(viaKernel, x, y);
            double worst = 0;
            for (int out = 0; out < 2; out++) {
                for (int j = 0; j < n; j++) {
                    double[] d = asinDerivative(x[j], y[j]);
                    double sgn = fn.equals("asin") ? 1 : -1, a = sgn * d[0], b = sgn * d[1];
                    double[] exact = out == 0 ? new double[] {a, -b} : new double[] {b, a}; // f' = a + ib
                    double[] k = jk[j][out];
                    double rel = Math.hypot(k[0] - exact[0], k[1] - exact[1]) / Math.hypot(exact[0], exact[1]);
                    assertThat(rel).as("%s row %d at %s: kernel path (%s, %s) vs f' (%s, %s)", fn, out, ps.get(j), k[0], k[1], exact[0], exact[1])
                            .isLessThanOrEqualTo(1e-12);
                    worst = Math.max(worst, rel);
                }
            }
            System.out.printf("%s through the kernel: %d points, worst relative error vs f' %.2e%n", fn, n, worst);
        }
    }

    /** 1 / sqrt(1 - z^2), principal root, with 1 - z^2 = (1 - x)(1 + x) + y^2 - 2ixy (no cancellation near |x| = 1). */
    private static double[] asinDerivative(double x, double y) {
        double wr = (1 - x) * (1 + x) + y * y, wi = -2 * x * y;
        double t = Math.sqrt((Math.hypot(wr, wi) + Math.abs(wr)) / 2);
        double sr = wr >= 0 ? t : Math.abs(wi) / (2 * t), si = wr >= 0 ? wi / (2 * t) : Math.copySign(t, wi);
        double m = sr * sr + si * si;
        return new double[] {sr / m, -si / m};
    }

    /** complex<f32>: the rule runs in f32 and gives the f64 Jacobian (at the same, f32-representable points) to f32 accuracy. */
    @Test
    void complexF32FollowsTheF64Jacobian() {
        List<Pt> ps = new ArrayList<>();
        for (Pt p : checkedPoints()) if (p.region().startsWith("generic")) ps.add(new Pt(p.region(), (float) p.x(), (float) p.y()));
        int n = ps.size();
        double[] x = new double[n], y = new double[n];
        for (int j = 0; j < n; j++) { x[j] = ps.get(j).x(); y[j] = ps.get(j).y(); }
        double[][][] j64 = vjpJacobian(GradCheck.parse(kernelProgram(n)), x, y);
        Interpreter vjp = new Interpreter(GradCheck.vjpModule(GradCheck.parse(kernelProgram(n).replace("f64", "f32")), "f", new int[] {0, 1}));
        for (int out = 0; out < 2; out++) {
            double[] ct1 = new double[n], ct0 = new double[n];
            java.util.Arrays.fill(ct1, 1);
            List<HostArray> o = vjp.runHost("vjp", List.of(arr32(x), arr32(y), arr32(out == 0 ? ct1 : ct0), arr32(out == 0 ? ct0 : ct1)));
            assertThat(o.get(2).type()).isEqualTo(io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.FloatType.F32, n));
            double[] gx = o.get(2).toDoubleArray(), gy = o.get(3).toDoubleArray();
            for (int j = 0; j < n; j++) {
                double[] e = j64[j][out];
                assertThat(Math.hypot(gx[j] - e[0], gy[j] - e[1]) / Math.hypot(e[0], e[1])).as("f32 row %d at %s", out, ps.get(j))
                        .isLessThanOrEqualTo(1e-5);
            }
        }
    }

    private static HostArray arr32(double[] v) {
        return HostArray.fromDoubles(io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.FloatType.F32, v.length), v);
    }

    /** Step per point for output {@code out} along re ({@code alongRe}) or im: 1e-3 of the distance to its nearest kink. */
    private static double[] steps(double[] x, double[] y, int out, boolean alongRe) {
        double[] h = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            double d = Math.min(Math.hypot(x[j] - 1, y[j]), Math.hypot(x[j] + 1, y[j]));
            boolean kinkAcross = out == 0 ? Math.abs(x[j]) > 1 : Math.abs(x[j]) < 1;
            if (!alongRe && kinkAcross) d = Math.min(d, Math.abs(y[j]));
            h[j] = 1e-3 * d;
        }
        return h;
    }

    /** (-f(+2h) + 8 f(+h) - 8 f(-h) + f(-2h)) / 12h of output {@code out}, every point at once (the op is element-wise). */
    private static double[] fourthOrderFd(Interpreter in, double[] x, double[] y, int out, boolean alongRe, double[] h) {
        int n = x.length;
        double[] acc = new double[n];
        double[] coef = {-1, 8, -8, 1};
        int[] k = {2, 1, -1, -2};
        for (int s = 0; s < 4; s++) {
            double[] v = alongRe ? eval(in, shifted(x, h, k[s]), y) : eval(in, x, shifted(y, h, k[s]));
            for (int j = 0; j < n; j++) acc[j] += coef[s] * v[out * n + j];
        }
        for (int j = 0; j < n; j++) acc[j] /= 12 * h[j];
        return acc;
    }

    private static double[] shifted(double[] v, double[] h, int k) {
        double[] r = v.clone();
        for (int j = 0; j < r.length; j++) r[j] += k * h[j];
        return r;
    }

    /** Both outputs of @f concatenated. */
    private static double[] eval(Interpreter in, double[] x, double[] y) {
        List<HostArray> o = in.runHost("f", List.of(arr(x), arr(y)));
        double[] a = o.get(0).toDoubleArray(), b = o.get(1).toDoubleArray(), r = new double[a.length * 2];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** [point][output][d/d re, d/d im] from two VJPs of @f. */
    private static double[][][] vjpJacobian(Module m, double[] x, double[] y) {
        int n = x.length;
        Interpreter vjp = new Interpreter(GradCheck.vjpModule(m, "f", new int[] {0, 1}));
        double[] ones = new double[n], zeros = new double[n];
        java.util.Arrays.fill(ones, 1);
        double[][][] jac = new double[n][2][2];
        for (int out = 0; out < 2; out++) {
            List<HostArray> o = vjp.runHost("vjp", List.of(arr(x), arr(y), arr(out == 0 ? ones : zeros), arr(out == 0 ? zeros : ones)));
            double[] gx = o.get(2).toDoubleArray(), gy = o.get(3).toDoubleArray();
            for (int j = 0; j < n; j++) { jac[j][out][0] = gx[j]; jac[j][out][1] = gy[j]; }
        }
        return jac;
    }

    private static HostArray arr(double[] v) { return HostArray.fromDoubles(GradCheck.f64(v.length), v); }

    private static String header(int n) {
        return """
                func.func @f(%x: tensor<Nxf64>, %y: tensor<Nxf64>) -> (tensor<Nxf64>, tensor<Nxf64>) {
                  %z = stablehlo.complex %x, %y : tensor<Nxcomplex<f64>>
                """.replace("N", Integer.toString(n));
    }

    static String kernelProgram(int n) {
        return (header(n) + """
                  %w = "chlo._asin_acos_kernel"(%z) : (tensor<Nxcomplex<f64>>) -> tensor<Nxcomplex<f64>>
                  %re = stablehlo.real %w : (tensor<Nxcomplex<f64>>) -> tensor<Nxf64>
                  %im = stablehlo.imag %w : (tensor<Nxcomplex<f64>>) -> tensor<Nxf64>
                  return %re, %im : tensor<Nxf64>, tensor<Nxf64>
                }""").replace("N", Integer.toString(n));
    }

    private static String chloProgram(String fn, int n) {
        return (header(n) + """
                  %w = "chlo.FN"(%z) : (tensor<Nxcomplex<f64>>) -> tensor<Nxcomplex<f64>>
                  %re = stablehlo.real %w : (tensor<Nxcomplex<f64>>) -> tensor<Nxf64>
                  %im = stablehlo.imag %w : (tensor<Nxcomplex<f64>>) -> tensor<Nxf64>
                  return %re, %im : tensor<Nxf64>, tensor<Nxf64>
                }""").replace("FN", fn).replace("N", Integer.toString(n));
    }

    /** CHLO's decomposition of complex asin or acos through the kernel (ChloDecompositionPatternsMath.td). */
    private static String decomposedProgram(String fn, int n) {
        String re = fn.equals("asin") ? "%a = stablehlo.atan2 %x, %wr : tensor<Nxf64>" : "%a = stablehlo.atan2 %wr, %x : tensor<Nxf64>";
        String im = fn.equals("asin") ? "%b = stablehlo.select %neg, %nwi, %wi : tensor<Nxi1>, tensor<Nxf64>"
                : "%b = stablehlo.select %neg, %wi, %nwi : tensor<Nxi1>, tensor<Nxf64>";
        return (header(n) + """
                  %w = "chlo._asin_acos_kernel"(%z) : (tensor<Nxcomplex<f64>>) -> tensor<Nxcomplex<f64>>
                  %wr = stablehlo.real %w : (tensor<Nxcomplex<f64>>) -> tensor<Nxf64>
                  %wi = stablehlo.imag %w : (tensor<Nxcomplex<f64>>) -> tensor<Nxf64>
                  %zero = stablehlo.constant dense<0.0> : tensor<Nxf64>
                  %neg = stablehlo.compare LT, %y, %zero : (tensor<Nxf64>, tensor<Nxf64>) -> tensor<Nxi1>
                  %nwi = stablehlo.negate %wi : tensor<Nxf64>
                  RE
                  IM
                  return %a, %b : tensor<Nxf64>, tensor<Nxf64>
                }""").replace("RE", re).replace("IM", im).replace("N", Integer.toString(n));
    }
}
