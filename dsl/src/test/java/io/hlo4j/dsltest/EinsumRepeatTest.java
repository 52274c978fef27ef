package io.hlo4j.dsltest;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static io.hlo4j.dsltest.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

/** einsum with a letter repeated inside one operand (traces, diagonals), each form against explicit loops. */
class EinsumRepeatTest {
    static final double[] A = random(51, 120), B = random(52, 120);

    static HostArray a(long... shape) { return f64(shape, Arrays.copyOf(A, (int) Shape.of(shape).size())); }
    static HostArray b(long... shape) { return f64(shape, Arrays.copyOf(B, (int) Shape.of(shape).size())); }

    @Test
    void traceAndDiagonalExplicitAndImplicit() {
        List<HostArray> r = run(t -> {
            Tensor x = (Tensor) t[0];
            return List.of(Linalg.einsum("ii->", x), Linalg.einsum("ii", x), Linalg.einsum("ii->i", x));
        }, a(4, 4));
        double trace = 0;
        double[] diag = new double[4];
        for (int i = 0; i < 4; i++) {
            trace += A[i * 4 + i];
            diag[i] = A[i * 4 + i];
        }
        assertThat(r.get(0).shape()).isEmpty();
        assertClose(r.get(0), new double[]{trace}, 1e-12);
        assertThat(r.get(1).shape()).isEmpty(); // implicit: 'i' occurs twice, so it is summed (numpy's trace)
        assertClose(r.get(1), new double[]{trace}, 1e-12);
        assertThat(r.get(2).shape()).containsExactly(4);
        assertClose(r.get(2), diag, 0);
    }

    @Test
    void repeatedLetterBesideOtherLetters() {
        // "iij->j" on [3, 3, 5], "bii->bi" on [2, 3, 3], "iji->ij" (not adjacent) on [3, 4, 3], "iii->i" on [3, 3, 3].
        List<HostArray> r = run(t -> List.of(Linalg.einsum("iij->j", (Tensor) t[0]), Linalg.einsum("bii->bi", (Tensor) t[1]),
                Linalg.einsum("iji->ij", (Tensor) t[2]), Linalg.einsum("iii->i", (Tensor) t[3]), Linalg.einsum("iij", (Tensor) t[0])),
                a(3, 3, 5), a(2, 3, 3), a(3, 4, 3), a(3, 3, 3));
        double[] iij = new double[5], bii = new double[6], iji = new double[12], iii = new double[3];
        for (int j = 0; j < 5; j++) for (int i = 0; i < 3; i++) iij[j] += A[(i * 3 + i) * 5 + j];
        for (int bb = 0; bb < 2; bb++) for (int i = 0; i < 3; i++) bii[bb * 3 + i] = A[(bb * 3 + i) * 3 + i];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) iji[i * 4 + j] = A[(i * 4 + j) * 3 + i];
        for (int i = 0; i < 3; i++) iii[i] = A[(i * 3 + i) * 3 + i];
        assertThat(r.get(0).shape()).containsExactly(5);
        assertClose(r.get(0), iij, 1e-12);
        assertThat(r.get(1).shape()).containsExactly(2, 3);
        assertClose(r.get(1), bii, 0);
        assertThat(r.get(2).shape()).containsExactly(3, 4);
        assertClose(r.get(2), iji, 0);
        assertThat(r.get(3).shape()).containsExactly(3);
        assertClose(r.get(3), iii, 0);
        assertThat(r.get(4).shape()).containsExactly(5); // implicit output of "iij" is "j"
        assertClose(r.get(4), iij, 1e-12);
    }

    @Test
    void diagonalOfOneOperandInAContraction() {
        // "ij,jj->i": a [3, 4] times the diagonal of b [4, 4]; also "ii,ij->j" with the repeat on the left.
        List<HostArray> r = run(t -> List.of(Linalg.einsum("ij,jj->i", (Tensor) t[0], (Tensor) t[1]),
                Linalg.einsum("ii,ij->j", (Tensor) t[1], (Tensor) t[2])), a(3, 4), b(4, 4), a(4, 5));
        double[] want = new double[3], left = new double[5];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) want[i] += A[i * 4 + j] * B[j * 4 + j];
        for (int j = 0; j < 5; j++) for (int i = 0; i < 4; i++) left[j] += B[i * 4 + i] * A[i * 5 + j];
        assertThat(r.get(0).shape()).containsExactly(3);
        assertClose(r.get(0), want, 1e-12);
        assertThat(r.get(1).shape()).containsExactly(5);
        assertClose(r.get(1), left, 1e-12);
    }

    @Test
    void repeatedLetterWithEllipsis() {
        // "...ii->...i": batched diagonals of [2, 3, 4, 4]; "i...i,...->..." mixes a trace over the outer dims with a broadcast.
        List<HostArray> r = run(t -> List.of(Linalg.einsum("...ii->...i", (Tensor) t[0]),
                Linalg.einsum("i...i,...->...", (Tensor) t[1], (Tensor) t[2])), a(2, 3, 4, 4), a(3, 2, 3), b(2));
        double[] diag = new double[24], tr = new double[2];
        for (int p = 0; p < 6; p++) for (int i = 0; i < 4; i++) diag[p * 4 + i] = A[(p * 4 + i) * 4 + i];
        for (int e = 0; e < 2; e++) {
            for (int i = 0; i < 3; i++) tr[e] += A[(i * 2 + e) * 3 + i];
            tr[e] *= B[e];
        }
        assertThat(r.get(0).shape()).containsExactly(2, 3, 4);
        assertClose(r.get(0), diag, 0);
        assertThat(r.get(1).shape()).containsExactly(2);
        assertClose(r.get(1), tr, 1e-12);
    }

    /** The diagonal is two iotas, a compare, a select and one reduce: no gather, no O(n^2) constant. */
    @Test
    void emittedDiagonalIsSmall() {
        String text = Jit.jit(t -> Linalg.einsum("ii->i", (Tensor) t[0])).lower(Spec.of(DType.F32, 64, 64)).asText();
        assertThat(count(text, "stablehlo.iota")).isEqualTo(2);
        assertThat(count(text, "stablehlo.compare")).isEqualTo(1);
        assertThat(count(text, "stablehlo.select")).isEqualTo(1);
        assertThat(count(text, "stablehlo.reduce")).isEqualTo(1);
        assertThat(text).doesNotContain("gather").doesNotContain("multiply");
    }

    private static long count(String text, String op) {
        return java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(op) + "(?![a-z_])").matcher(text).results().count();
    }

    @Test
    void offDiagonalInfinitiesDoNotLeakIntoTheDiagonal() {
        double inf = Double.POSITIVE_INFINITY, nan = Double.NaN;
        HostArray x = f64(s(3, 3), 1, inf, nan, -inf, 2, inf, nan, nan, 3);
        List<HostArray> r = run(t -> List.of(Linalg.einsum("ii->i", (Tensor) t[0]), Linalg.einsum("ii->", (Tensor) t[0])), x);
        assertClose(r.get(0), new double[]{1, 2, 3}, 0);
        assertClose(r.get(1), new double[]{6}, 0);
    }

    /** d/d(a, b) sum(einsum("ij,jj->i", a, b)^2) and d/dx sum(einsum("bii->bi", x)^2 * w), against f64 central differences. */
    @Test
    void gradientsThroughDiagonalsMatchFiniteDifferences() {
        TracedFunction loss = t -> Reductions.sum(Ops.square(Linalg.einsum("ij,jj->i", (Tensor) t[0], (Tensor) t[1])));
        HostArray a = a(3, 4), b = b(4, 4);
        checkGrad(loss, 0, a, b);
        double[] gb = checkGrad(loss, 1, a, b);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) if (i != j) assertThat(gb[i * 4 + j]).isZero();
        TracedFunction batched = t -> Reductions.sum(Ops.mul(Ops.square(Linalg.einsum("bii->bi", (Tensor) t[0])), (Tensor) t[1]));
        checkGrad(batched, 0, a(2, 3, 3), b(2, 3));
    }

    private static double[] checkGrad(TracedFunction loss, int arg, HostArray... args) {
        double[] g = Jit.jit("g", Grad.grad(loss, arg)).call1(args).toDoubleArray();
        Jit f = Jit.jit("f", loss);
        double[] v = args[arg].toDoubleArray();
        assertThat(g).hasSize(v.length);
        double h = 1e-6, num = 0, den = 0;
        for (int i = 0; i < v.length; i++) {
            double[] plus = v.clone(), minus = v.clone();
            plus[i] += h;
            minus[i] -= h;
            HostArray[] p = args.clone(), m = args.clone();
            p[arg] = HostArray.fromDoubles(args[arg].type(), plus);
            m[arg] = HostArray.fromDoubles(args[arg].type(), minus);
            double fd = (f.call1(p).getDouble(0) - f.call1(m).getDouble(0)) / (2 * h);
            num += (g[i] - fd) * (g[i] - fd);
            den += fd * fd;
        }
        assertThat(den).isGreaterThan(0);
        assertThat(Math.sqrt(num)).isLessThanOrEqualTo(1e-6 * Math.sqrt(den));
        return g;
    }

    @Test
    void repeatedLetterOfDifferentSizesIsRefusedPrecisely() {
        int[] at = new int[1];
        DslException e = ErrorsAndJitTest.traceError(t -> {
            at[0] = ErrorsAndJitTest.line(); return Linalg.einsum("iij->j", (Tensor) t[0]);
        }, Spec.of(DType.F32, 3, 4, 2));
        assertThat(e.getMessage()).startsWith("einsum: operand 0 f32[3, 4, 2] repeats subscript 'i' in 'iij' over dims 0 and 1 whose sizes 3 "
                + "and 4 differ (in 'iij->j')").endsWith("(at EinsumRepeatTest.java:" + at[0] + ":0)");
        DslException second = ErrorsAndJitTest.traceError(t -> Linalg.einsum("ij,jj->i", (Tensor) t[0], (Tensor) t[1]),
                Spec.of(DType.F32, 3, 4), Spec.of(DType.F32, 4, 5));
        assertThat(second.getMessage()).contains("einsum: operand 1 f32[4, 5] repeats subscript 'j' in 'jj' over dims 0 and 1 whose sizes 4 and 5 differ");
        DslException out = ErrorsAndJitTest.traceError(t -> Linalg.einsum("ii->ii", (Tensor) t[0]), Spec.of(DType.F32, 3, 3));
        assertThat(out.getMessage()).contains("einsum: output subscript 'i' repeated in 'ii->ii'");
    }
}
