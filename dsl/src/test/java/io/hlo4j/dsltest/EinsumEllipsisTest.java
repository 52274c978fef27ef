package io.hlo4j.dsltest;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.dsltest.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

/** einsum's {@code ...}: numpy's broadcast batch dims, each form against explicit loops and numpy's result shapes. */
class EinsumEllipsisTest {
    static final double[] A = random(41, 120), B = random(42, 180);

    static HostArray a(long... shape) { return f64(shape, java.util.Arrays.copyOf(A, (int) io.hlo4j.dsl.Shape.of(shape).size())); }
    static HostArray b(long... shape) { return f64(shape, java.util.Arrays.copyOf(B, (int) io.hlo4j.dsl.Shape.of(shape).size())); }

    @Test
    void batchedMatmulExplicitAndImplicitAndWithNoEllipsisDims() {
        HostArray a = a(2, 3, 4, 5), b = b(2, 3, 5, 6);
        List<HostArray> r = run(t -> List.of(Linalg.einsum("...ij,...jk->...ik", (Tensor) t[0], (Tensor) t[1]),
                Linalg.einsum("...ij,...jk", (Tensor) t[0], (Tensor) t[1])), a, b);
        double[] want = new double[2 * 3 * 4 * 6];
        for (int p = 0; p < 6; p++) for (int i = 0; i < 4; i++) for (int k = 0; k < 6; k++) {
            double acc = 0;
            for (int j = 0; j < 5; j++) acc += A[(p * 4 + i) * 5 + j] * B[(p * 5 + j) * 6 + k];
            want[(p * 4 + i) * 6 + k] = acc;
        }
        for (HostArray h : r) {
            assertThat(h.shape()).containsExactly(2, 3, 4, 6);
            assertClose(h, want, 1e-12);
        }
        // '...' standing for no dims at all is a plain matmul.
        HostArray m = run1(t -> Linalg.einsum("...ij,...jk->...ik", (Tensor) t[0], (Tensor) t[1]), a(4, 5), b(5, 6));
        double[] mm = new double[24];
        for (int i = 0; i < 4; i++) for (int k = 0; k < 6; k++) for (int j = 0; j < 5; j++) mm[i * 6 + k] += A[i * 5 + j] * B[j * 6 + k];
        assertThat(m.shape()).containsExactly(4, 6);
        assertClose(m, mm, 1e-12);
    }

    @Test
    void ellipsisDimsBroadcastAcrossRanksAndSizeOne() {
        // a [3, 1, 2, 4] ('...' = [3, 1]), b [5, 4, 2] ('...' = [5]): numpy broadcasts [3, 1] with [5] to [3, 5].
        HostArray a = a(3, 1, 2, 4), b = b(5, 4, 2);
        HostArray r = run1(t -> Linalg.einsum("...ij,...jk", (Tensor) t[0], (Tensor) t[1]), a, b);
        double[] want = new double[3 * 5 * 2 * 2];
        for (int p = 0; p < 3; p++) for (int q = 0; q < 5; q++) for (int i = 0; i < 2; i++) for (int k = 0; k < 2; k++) {
            double acc = 0;
            for (int j = 0; j < 4; j++) acc += A[(p * 2 + i) * 4 + j] * B[(q * 4 + j) * 2 + k];
            want[((p * 5 + q) * 2 + i) * 2 + k] = acc;
        }
        assertThat(r.shape()).containsExactly(3, 5, 2, 2);
        assertClose(r, want, 1e-12);
        // Every operand size 1 there: the dim stays, size 1 (numpy: (1, 2, 3) x (1, 3, 2) -> (1, 2, 2)).
        HostArray one = run1(t -> Linalg.einsum("...ij,...jk->...ik", (Tensor) t[0], (Tensor) t[1]), a(1, 2, 3), b(1, 3, 2));
        assertThat(one.shape()).containsExactly(1, 2, 2);
    }

    @Test
    void singleOperandFormsMoveSumAndKeepEllipsisDims() {
        HostArray x = a(2, 3, 4);
        List<HostArray> r = run(t -> {
            Tensor v = (Tensor) t[0];
            return List.of(Linalg.einsum("i...->...i", v), Linalg.einsum("...i->...", v), Linalg.einsum("...ij->ij", v),
                    Linalg.einsum("i...j->j...i", v));
        }, x);
        double[] moved = new double[24], rowSums = new double[6], batchSum = new double[12], swapped = new double[24];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) {
            double v = A[(i * 3 + j) * 4 + k];
            moved[(j * 4 + k) * 2 + i] = v;
            rowSums[i * 3 + j] += v;
            batchSum[j * 4 + k] += v;
            swapped[(k * 3 + j) * 2 + i] = v;
        }
        assertThat(r.get(0).shape()).containsExactly(3, 4, 2);
        assertClose(r.get(0), moved, 0);
        assertThat(r.get(1).shape()).containsExactly(2, 3);
        assertClose(r.get(1), rowSums, 1e-12);
        assertThat(r.get(2).shape()).containsExactly(3, 4); // an explicit output without '...' sums the ellipsis dims
        assertClose(r.get(2), batchSum, 1e-12);
        assertThat(r.get(3).shape()).containsExactly(4, 3, 2);
        assertClose(r.get(3), swapped, 0);
    }

    /** d/da sum(einsum("...ij,...jk", a, b)^2) with a size-1 ellipsis dim broadcast, against central differences in f64. */
    @Test
    void gradientThroughABroadcastEllipsisMatchesFiniteDifferences() {
        HostArray a = a(3, 1, 2, 4), b = b(5, 4, 2);
        io.hlo4j.dsl.jit.TracedFunction loss = t -> io.hlo4j.dsl.Reductions.sum(io.hlo4j.dsl.Ops.square(
                Linalg.einsum("...ij,...jk", (Tensor) t[0], (Tensor) t[1])));
        double[] g = io.hlo4j.dsl.jit.Jit.jit("g", io.hlo4j.dsl.grad.Grad.grad(loss, 0)).call1(a, b).toDoubleArray();
        io.hlo4j.dsl.jit.Jit f = io.hlo4j.dsl.jit.Jit.jit("f", loss);
        double[] v = a.toDoubleArray();
        double h = 1e-6, num = 0, den = 0;
        for (int i = 0; i < v.length; i++) {
            double[] plus = v.clone(), minus = v.clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (f.call1(HostArray.fromDoubles(a.type(), plus), b).getDouble(0)
                    - f.call1(HostArray.fromDoubles(a.type(), minus), b).getDouble(0)) / (2 * h);
            num += (g[i] - fd) * (g[i] - fd);
            den += fd * fd;
        }
        assertThat(den).isGreaterThan(0);
        assertThat(Math.sqrt(num)).isLessThanOrEqualTo(1e-6 * Math.sqrt(den));
    }

    @Test
    void mismatchedEllipsisShapesAndRanksAreRefusedPrecisely() {
        int[] at = new int[1];
        DslException e = ErrorsAndJitTest.traceError(t -> {
            at[0] = ErrorsAndJitTest.line(); return Linalg.einsum("...ij,...jk->...ik", (Tensor) t[0], (Tensor) t[1]);
        }, Spec.of(DType.F32, 2, 7, 3, 4), Spec.of(DType.F32, 3, 7, 4, 5));
        assertThat(e.getMessage()).startsWith("einsum: the '...' dims of operand 0 f32[2, 7, 3, 4] ([2, 7]) and operand 1 f32[3, 7, 4, 5] "
                + "([3, 7]) cannot be broadcast together in '...ij,...jk->...ik'").endsWith("(at EinsumEllipsisTest.java:" + at[0] + ":0)");
        DslException rank = ErrorsAndJitTest.traceError(t -> Linalg.einsum("...ijk", (Tensor) t[0]), Spec.of(DType.F32, 2, 3));
        assertThat(rank.getMessage()).contains("einsum: subscripts '...ijk' name 3 dims besides '...' but operand 0 is f32[2, 3] (rank 2)");
        DslException dots = ErrorsAndJitTest.traceError(t -> Linalg.einsum("..ij", (Tensor) t[0]), Spec.of(DType.F32, 2, 3));
        assertThat(dots.getMessage()).contains("einsum: operand 0's subscripts '..ij' in '..ij' have a '.' outside a single '...'");
        DslException twice = ErrorsAndJitTest.traceError(t -> Linalg.einsum("...i...", (Tensor) t[0]), Spec.of(DType.F32, 2, 3));
        assertThat(twice.getMessage()).contains("have a '.' outside a single '...'");
    }
}
