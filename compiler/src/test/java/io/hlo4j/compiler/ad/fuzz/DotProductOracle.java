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
 * program (of its f64 twin where it has f32 or bf16 values, below) on the interpreter must equal {@code <J^T u, v>} from the backward program ({@link Autodiff#vjp}) on the
 * interpreter. The backward module must verify, print, parse back to the same text and verify again, and its primal
 * results must equal the program's bit for bit.
 *
 * <p>Tolerance. The difference quotient is Richardson's extrapolation of central differences with steps h and h/2
 * (truncation error O(h^4)), always of an all-f64 program: h = 1e-4 (truncation 1e-16 times the fifth derivative,
 * rounding 3e-11 F). {@code |fd - ad| <= tol * S + 30 eps F / h} with tol 1e-6 as {@code GradCheck}, {@code S =
 * sum_i |u_i (Jv)_i| + sum_j |g_j v_j|}, the magnitudes of the terms each side adds up (a sum that cancels to near zero
 * is judged by the size of what cancelled), and {@code F = sum_i |u_i| max(|f_i|, 1)}: the forward's rounding error, eps
 * F per evaluation, becomes eps F / h in a quotient, times 3 for the extrapolation's weights over the half step and 10
 * for a dozen roundings. This last term matters where the derivative is far smaller than the value (x^3 near 0: the FD
 * is rounding noise there). A result rounds at the magnitude of the intermediates it came through, which the generator
 * keeps near 1 (1 + x*x under a log, 2 + tanh as a divisor), not at its own: log(1 + x^8) is exactly 0 for x = 0.01
 * (1 + 1e-16 rounds to 1) while its derivative is 8e-16, hence the floor of 1 (seed 11's COMPLEX family, case 281: an
 * FD of 0 against 1.1e-18); at f64's rounding the floor costs nothing a wrong rule could hide in.
 *
 * <p>Programs with an f32 or bf16 segment are checked in two steps. First their f64 twin (every f32 and bf16 type f64,
 * {@code Program#f64Twin}: the converts become identities) is checked as above, finite differences against the twin's
 * own backward program at the f64 tolerance: every rule the low-precision program uses is in the twin, so a wrong rule
 * shows there at f64's precision. Then the program's own backward against the twin's backward, within {@value #TOL_F32}
 * of S' = S + the own backward's magnitude sum for f32 (the backward's f32 arithmetic: relative errors of 1e-6 to
 * 1e-4 after a dozen ops) and {@value #TOL_BF16} of S' (24 bf16 roundoffs) for bf16 (the backward linearises at
 * bf16-rounded residuals and rounds its cotangents in the segment, each a relative 2^-9): this step catches only a rule that is wrong in low precision (a
 * convert's), so its looser bound no longer covers the f64 parts. It is loose: a convert rule scaling its cotangent by
 * 1.05 (x1.1 over a segment) passed all 230 bf16 programs of the default seed in a review, x1.2 failed 32. With S
 * alone the default seed passes but seed 13's case 602 (a chain of tanh, square and log1p in bf16; its twin matches
 * finite differences to 1e-10) differs from its twin by 5.2% of S; why bf16 moves it that far there is not
 * established, and a bound that follows the backward's conditioning is left to do. Before, an f32 program was
 * differenced itself at h = 1e-2 and a
 * bf16 program judged at 4.7% of S as a whole, and a backward that agreed with a quarter step's quotient passed: a
 * sign flip of multiply's lhs cotangent passed in 37 of 146 bf16 cases and x1.1 in 127, the quarter
 * step passed x1.1 where the coarse step had caught it (case 368, coarse error 0.00966 over bound 0.00853), and the
 * floor of 1 at f32's rounding term hid small derivatives (case 295: S = 0.0021 against a rounding term of 6.4e-5).
 *
 * <p>Kinks. max, min and reduce max are not differentiable where two sides tie; a random input lands within a step of
 * such a point rarely (the generator keeps sides apart by 0.25). When the two sides disagree, the difference quotient is
 * recomputed with a quarter of the step: if the two quotients disagree with each other by more than the tolerance, the
 * point is not smooth and the case is drawn again with other inputs (up to {@value #REDRAWS} times, then it counts as
 * {@code nonSmooth}); otherwise it fails. A backward program that agrees with the quarter step's quotient but not the
 * coarse one's is not a pass: at h = 1e-4 in f64 the truncation error is far below the tolerance.
 */
final class DotProductOracle {
    static final int REDRAWS = 3;
    static final double H_F64 = 1e-4, EPS_F64 = 1.1e-16, TOL_F64 = 1e-6;
    /** The tolerance of an f32 program's backward against its f64 twin's. */
    static final double TOL_F32 = 1e-3;
    /**
     * bf16's unit roundoff 2^-9, and the tolerance of a bf16 program's backward against its f64 twin's: 24 of them,
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

    /** A program's forward and backward interpreters and the float arguments it is differentiated in. */
    private record Pair(Interpreter primal, Interpreter backward, List<Integer> wrt) {}

    /** Autodiff of the module's @main; the backward module must verify, print, parse back to the same text and verify. */
    private static Pair differentiate(Program p, String text, String file) {
        Module m = MlirParser.parseModule(text, file);
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
        return new Pair(new Interpreter(m), new Interpreter(back), wrt);
    }

    static Outcome check(Program p, long seed) {
        boolean f32 = p.hasF32(), bf16 = p.hasBf16(), low = f32 || bf16;
        Pair prog = differentiate(p, p.text(), "fuzz.mlir");
        // a program with an f32 or bf16 segment: the finite differences and the reference backward are its f64 twin's
        Pair twin = low ? differentiate(p, p.f64Twin(), "twin.mlir") : prog;
        double h = H_F64, eps = EPS_F64, tol = TOL_F64, lowTol = bf16 ? TOL_BF16 : TOL_F32;
        double worst = 0;
        for (int draw = 0; draw < REDRAWS; draw++) {
            Random rnd = new Random(seed * 31 + draw);
            List<HostArray> x = inputs(p, rnd), xt = low ? asF64(x) : x;
            List<HostArray> y = prog.primal.runHost("main", x), yt = low ? twin.primal.runHost("main", xt) : y;
            double[][] u = new double[y.size()][];
            for (int i = 0; i < y.size(); i++) {
                double[] yi = y.get(i).elementType() instanceof FloatType ? y.get(i).toDoubleArray() : new double[0];
                for (double d : yi) if (!Double.isFinite(d)) return new Outcome(0, false, true);
                if (low) for (double d : yt.get(i).toDoubleArray()) if (!Double.isFinite(d)) return new Outcome(0, false, true);
                u[i] = uniform(rnd, yi.length);
            }
            double[][] v = new double[x.size()][];
            for (int j : prog.wrt) v[j] = uniform(rnd, (int) p.args().get(j).elements());
            double[] adT = backwardDot(twin, xt, yt, u, v);
            Fd fd = fd(twin.primal, xt, v, u, h);
            double bound = tol * (fd.scale + adT[1]) + ROUNDING * eps * fd.magnitude / h;
            double err = Math.abs(fd.value - adT[0]);
            if (err > bound) {
                Fd fine = fd(twin.primal, xt, v, u, h / 4);
                if (Math.abs(fine.value - fd.value) > tol * fd.scale + ROUNDING * eps * fine.magnitude / (h / 4)) continue; // a kink near x
                throw new Mismatch(String.format("<u, J v> by finite differences %.12g (%.12g with a quarter of the step), <J^T u, v> by the backward"
                        + " program %.12g: |difference| %.3g > %.3g (tol %.0e x %.4g + rounding %.3g; %s; inputs draw %d)", fd.value, fine.value, adT[0],
                        err, bound, tol, fd.scale + adT[1], ROUNDING * eps * fd.magnitude / h, low ? "the f64 twin of an f32/bf16 program" : "f64 program", draw));
            }
            worst = err == 0 ? 0 : err / bound;
            if (low) {
                // the program's own backward against its twin's: they differ by the segment's roundings only
                double[] ad = backwardDot(prog, x, y, u, v);
                double lowBound = lowTol * (fd.scale + ad[1] + adT[1]), lowErr = Math.abs(ad[0] - adT[0]);
                if (lowErr > lowBound) throw new Mismatch(String.format("<J^T u, v> by the backward program %.12g, by its f64 twin's %.12g (which"
                        + " matches finite differences %.12g): |difference| %.3g > %.3g (tol %.0e x %.4g; %s program; inputs draw %d)", ad[0], adT[0],
                        fd.value, lowErr, lowBound, lowTol, fd.scale + ad[1] + adT[1], bf16 ? "bf16" : "f32", draw));
                worst = Math.max(worst, lowErr == 0 ? 0 : lowErr / lowBound);
            }
            return new Outcome(worst, false, false);
        }
        return new Outcome(0, true, false);
    }

    /** The arguments as f64 values (the twin's argument types). */
    private static List<HostArray> asF64(List<HostArray> x) {
        List<HostArray> out = new ArrayList<>();
        for (HostArray a : x) {
            if (a.elementType() instanceof FloatType && !a.type().toString().contains("f64")) {
                out.add(HostArray.fromDoubles((TensorType) MlirParser.parseType(a.type().toString().replace("xf32>", "xf64>").replace("<f32>", "<f64>")
                        .replace("xbf16>", "xf64>").replace("<bf16>", "<f64>")), a.toDoubleArray()));
            } else {
                out.add(a);
            }
        }
        return out;
    }

    /**
     * {@code <J^T u, v>} and {@code sum_j |g_j v_j|} from a backward program at x, whose primal results must equal the
     * forward's y bit for bit.
     */
    private static double[] backwardDot(Pair pair, List<HostArray> x, List<HostArray> y, double[][] u, double[][] v) {
        List<HostArray> in = new ArrayList<>(x);
        for (int i = 0; i < y.size(); i++) {
            in.add(y.get(i).elementType() instanceof FloatType ? HostArray.fromDoubles(y.get(i).type(), u[i]) : HostArray.zeros(y.get(i).type()));
        }
        List<HostArray> out = pair.backward.runHost("vjp", in);
        List<Integer> wrt = pair.wrt;
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
        return new double[] {ad, sAd};
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
