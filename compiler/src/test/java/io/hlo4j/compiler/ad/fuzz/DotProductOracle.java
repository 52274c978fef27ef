package io.hlo4j.compiler.ad.fuzz;

import io.hlo4j.compiler.ad.Autodiff;
import io.hlo4j.compiler.ad.fuzz.GradProgramGen.Program;
import io.hlo4j.compiler.ad.fuzz.GradProgramGen.Val;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The dot-product test of reverse mode, independent of the VJP rules: for a random tangent v of the float arguments
 * and a random cotangent u of the float results, {@code <u, J v>} by a central finite difference of the ORIGINAL
 * program on the interpreter must equal {@code <J^T u, v>} from the backward program ({@link Autodiff#vjp}) on the
 * interpreter. The backward module must verify, print, parse back to the same text and verify again, and its primal
 * results must equal the program's bit for bit.
 *
 * <p>Tolerance. The difference quotient is Richardson's extrapolation of central differences with steps h and h/2
 * (truncation error O(h^4)). {@code |fd - ad| <= tol * S + 30 eps F / h} with {@code S = sum_i |u_i (Jv)_i| + sum_j
 * |g_j v_j|}, the magnitudes of the terms each side adds up (a sum that cancels to near zero is judged by the size of
 * what cancelled), and {@code F = sum_i |u_i| max(|f_i|, 1)}: the forward's rounding error, eps F per evaluation, becomes
 * eps F / h in a quotient, times 3 for the extrapolation's weights over the half step and 10 for a dozen roundings. This
 * last term matters where the derivative is far smaller than the value (x^3 near 0: the FD is rounding noise there). A
 * result rounds at the magnitude of the intermediates it came through, which the generator keeps near 1 (1 + x*x under
 * a log, 2 + tanh as a divisor), not at its own: log(1 + x^8) is exactly 0 for x = 0.01 (1 + 1e-16 rounds to 1) while
 * its derivative is 8e-16, hence the floor of 1 (seed 11's COMPLEX family, case 281: an FD of 0 against 1.1e-18). All-f64
 * programs: h = 1e-4 (truncation 1e-16 times the fifth derivative, rounding 3e-11 F), tol 1e-6 as {@code GradCheck}.
 * Programs with an f32 segment: the forward rounds to f32 (eps 6e-8) wherever the segment is, so h = 1e-2 (truncation
 * 1e-8; rounding 2e-4 F) and tol 1e-3, since the backward's own f32 arithmetic has relative errors of 1e-6 to 1e-4
 * after a dozen ops. A wrong rule is off by O(1) of S. Programs with a bf16 segment: a bf16 value is constant over
 * steps below its resolution (2^-8 relative), so the quotients are those of the program's f64 twin (every bf16 type
 * f64, {@code Program#twin}), with the step and rounding term of the twin's own precision, and the backward program of
 * the bf16 program must agree with them within {@value #TOL_BF16} (24 bf16 roundoffs) of S: the backward linearises at
 * bf16-rounded residuals and rounds its cotangents to bf16 in the segment, each a relative 2^-9.
 *
 * <p>Kinks. max, min and reduce max are not differentiable where two sides tie; a random input lands within a step of
 * such a point rarely (the generator keeps sides apart by 0.25). When the two sides disagree, the difference quotient is
 * recomputed with a quarter of the step: if the two quotients disagree with each other by more than the tolerance, the
 * point is not smooth and the case is drawn again with other inputs (up to {@value #REDRAWS} times, then it counts as
 * {@code nonSmooth}); never a pass. Before that, if the quarter step's quotient agrees with the backward program within
 * its own bound (4 times the rounding term), the coarse step had a truncation error and the case passes (f32's h = 1e-2
 * against large higher derivatives: seed 11's GATHER case 77 and NESTED_WHILE case 175, whose backward programs matched
 * the quarter step's quotients to 11 and 3 digits).
 */
final class DotProductOracle {
    static final int REDRAWS = 3;
    static final double H_F64 = 1e-4, EPS_F64 = 1.1e-16, TOL_F64 = 1e-6;
    static final double H_F32 = 1e-2, EPS_F32 = 6e-8, TOL_F32 = 1e-3;
    /**
     * bf16's unit roundoff 2^-9, and the tolerance of a program with a bf16 segment against its f64 twin: 24 of them,
     * a dozen roundings on each side (the forward's residuals and the backward's cotangents are bf16 in the segment).
     */
    static final double EPS_BF16 = 0x1p-9, TOL_BF16 = 24 * EPS_BF16;
    /** The rounding error of the extrapolated quotient over eps F / h: 3 (the extrapolation's weights over the half step) x 10 (a dozen roundings). */
    static final double ROUNDING = 30;

    /** A disagreement, an exception, or a backward program that does not verify or round-trip. */
    static final class Mismatch extends AssertionError {
        Mismatch(String message) { super(message); }
    }

    /** What a check found: the largest error over tolerance ratio seen, or that every draw sat on a kink. */
    record Outcome(double worstRatio, boolean nonSmooth, boolean nonFinite) {}

    private DotProductOracle() {}

    static Outcome check(Program p, long seed) {
        Module m = MlirParser.parseModule(p.text(), "fuzz.mlir");
        ModuleVerifier.verify(m);
        List<Integer> wrt = new ArrayList<>();
        for (int i = 0; i < p.args().size(); i++) if (p.args().get(i).isFloat()) wrt.add(i);
        Module vm = Autodiff.withVjp(m, "main", wrt.stream().mapToInt(Integer::intValue).toArray(), "vjp");
        try {
            ModuleVerifier.verify(vm);
        } catch (RuntimeException e) {
            throw new Mismatch("the backward module does not verify: " + e.getMessage() + "\n" + MlirPrinter.print(vm));
        }
        String printed = MlirPrinter.print(vm);
        Module back = MlirParser.parseModule(printed, "vjp.mlir");
        ModuleVerifier.verify(back);
        String again = MlirPrinter.print(back);
        if (!again.equals(printed)) throw new Mismatch("the backward module prints differently after a parse:\n" + printed + "\n---\n" + again);
        Interpreter primal = new Interpreter(m), backward = new Interpreter(back);
        boolean f32 = p.hasF32(), bf16 = p.hasBf16();
        // bf16 values are piecewise constant at a finite difference's step: the quotients are of the f64 twin
        Interpreter differenced = bf16 ? new Interpreter(MlirParser.parseModule(p.twin(), "twin.mlir")) : primal;
        for (int draw = 0; draw < REDRAWS; draw++) {
            Random rnd = new Random(seed * 31 + draw);
            List<HostArray> x = inputs(p, rnd);
            List<HostArray> y = primal.runHost("main", x);
            double[][] u = new double[y.size()][];
            for (int i = 0; i < y.size(); i++) {
                double[] yi = y.get(i).elementType() instanceof FloatType ? y.get(i).toDoubleArray() : new double[0];
                for (double d : yi) if (!Double.isFinite(d)) return new Outcome(0, false, true);
                u[i] = uniform(rnd, yi.length);
            }
            double[][] v = new double[x.size()][];
            for (int j : wrt) v[j] = uniform(rnd, (int) p.args().get(j).elements());
            // <J^T u, v> from the backward program
            List<HostArray> in = new ArrayList<>(x);
            for (int i = 0; i < y.size(); i++) {
                in.add(y.get(i).elementType() instanceof FloatType ? HostArray.fromDoubles(y.get(i).type(), u[i]) : HostArray.zeros(y.get(i).type()));
            }
            List<HostArray> out = backward.runHost("vjp", in);
            if (out.size() != y.size() + wrt.size()) throw new Mismatch("the backward program returns " + out.size() + " values, expected " + (y.size() + wrt.size()));
            for (int i = 0; i < y.size(); i++) {
                if (!out.get(i).equals(y.get(i))) throw new Mismatch("the backward program's primal result #" + i + " differs: " + out.get(i) + " vs " + y.get(i));
            }
            double ad = 0, sAd = 0;
            for (int k = 0; k < wrt.size(); k++) {
                HostArray g = out.get(y.size() + k);
                if (!g.type().equals(x.get(wrt.get(k)).type())) throw new Mismatch("the gradient of argument #" + wrt.get(k) + " is " + g.type());
                double[] gd = g.toDoubleArray(), vd = v[wrt.get(k)];
                for (int e = 0; e < gd.length; e++) {
                    if (!Double.isFinite(gd[e])) throw new Mismatch("the gradient of argument #" + wrt.get(k) + " is not finite: " + g);
                    ad += gd[e] * vd[e];
                    sAd += Math.abs(gd[e] * vd[e]);
                }
            }
            double h = f32 ? H_F32 : H_F64, eps = f32 ? EPS_F32 : EPS_F64, tol = bf16 ? TOL_BF16 : f32 ? TOL_F32 : TOL_F64;
            Fd fd = fd(differenced, x, v, u, h);
            double bound = tol * (fd.scale + sAd) + ROUNDING * eps * fd.magnitude / h;
            double err = Math.abs(fd.value - ad);
            if (err <= bound) return new Outcome(err == 0 ? 0 : err / bound, false, false);
            Fd fine = fd(differenced, x, v, u, h / 4);
            // the coarse step's truncation error (f32's h = 1e-2 meets large higher derivatives): the fine quotient agrees
            double fineBound = tol * (fine.scale + sAd) + ROUNDING * eps * fine.magnitude / (h / 4);
            if (Math.abs(fine.value - ad) <= fineBound) return new Outcome(Math.abs(fine.value - ad) / fineBound, false, false);
            if (Math.abs(fine.value - fd.value) > tol * fd.scale + ROUNDING * eps * fine.magnitude / (h / 4)) continue; // a kink near x
            throw new Mismatch(String.format("<u, J v> by finite differences %.12g (%.12g with a quarter of the step), <J^T u, v> by the backward"
                    + " program %.12g: |difference| %.3g > %.3g (tol %.0e x %.4g + rounding %.3g; %s program; inputs draw %d)", fd.value, fine.value, ad,
                    err, bound, tol, fd.scale + sAd, ROUNDING * eps * fd.magnitude / h, bf16 ? "bf16 (against its f64 twin)" : f32 ? "f32" : "f64", draw));
        }
        return new Outcome(0, true, false);
    }

    /** A directional difference quotient: its value, the sum of |u_i (Jv)_i| and the sum of |u_i| max(|f_i|, 1) at x. */
    private record Fd(double value, double scale, double magnitude) {}

    /** Richardson's extrapolation of the central differences with steps h and h/2: (4 D(h/2) - D(h)) / 3. */
    private static Fd fd(Interpreter primal, List<HostArray> x, double[][] v, double[][] u, double h) {
        double[][] d = quotient(primal, x, v, h), half = quotient(primal, x, v, h / 2);
        for (int i = 0; i < d.length; i++) for (int e = 0; e < d[i].length; e++) d[i][e] = (4 * half[i][e] - d[i][e]) / 3;
        List<HostArray> y = primal.runHost("main", x);
        double value = 0, scale = 0, mag = 0;
        for (int i = 0; i < d.length; i++) {
            double[] yi = y.get(i).elementType() instanceof FloatType ? y.get(i).toDoubleArray() : new double[0];
            for (int e = 0; e < u[i].length; e++) {
                value += u[i][e] * d[i][e];
                scale += Math.abs(u[i][e] * d[i][e]);
                mag += Math.abs(u[i][e]) * Math.max(Math.abs(yi[e]), 1);
            }
        }
        return new Fd(value, scale, mag);
    }

    /** (f(x + h v) - f(x - h v)) / 2h for each float result element. */
    private static double[][] quotient(Interpreter primal, List<HostArray> x, double[][] v, double h) {
        List<HostArray> plus = primal.runHost("main", shifted(x, v, h)), minus = primal.runHost("main", shifted(x, v, -h));
        double[][] d = new double[plus.size()][];
        for (int i = 0; i < plus.size(); i++) {
            if (!(plus.get(i).elementType() instanceof FloatType)) { d[i] = new double[0]; continue; }
            double[] a = plus.get(i).toDoubleArray(), b = minus.get(i).toDoubleArray();
            d[i] = new double[a.length];
            for (int e = 0; e < a.length; e++) d[i][e] = (a[e] - b[e]) / (2 * h);
        }
        return d;
    }

    private static List<HostArray> shifted(List<HostArray> x, double[][] v, double h) {
        List<HostArray> out = new ArrayList<>(x);
        for (int j = 0; j < x.size(); j++) {
            if (v[j] == null) continue;
            double[] xd = x.get(j).toDoubleArray();
            for (int e = 0; e < xd.length; e++) xd[e] += h * v[j][e];
            out.set(j, HostArray.fromDoubles(x.get(j).type(), xd));
        }
        return out;
    }

    private static double[] uniform(Random rnd, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextDouble() * 2 - 1;
        return a;
    }

    /** f64 arguments uniform in [-1, 1], i32 arguments in [-3, 3]. */
    static List<HostArray> inputs(Program p, Random rnd) {
        List<HostArray> out = new ArrayList<>();
        for (Val a : p.args()) {
            TensorType t = (TensorType) MlirParser.parseType(a.type());
            int n = (int) a.elements();
            if (a.isFloat()) {
                out.add(HostArray.fromDoubles(t, uniform(rnd, n)));
            } else {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) l[i] = rnd.nextInt(7) - 3;
                out.add(HostArray.fromLongs(t, l));
            }
        }
        return out;
    }
}
