package io.hlo4j.dsltest;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.GatherDims;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.dsltest.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The general gather: values against hand-written loops, its gradient against finite differences, its refusals. */
class GatherTest {
    static final double[] X = random(31, 20);

    static int clamp(long v, long hi) { return (int) Math.max(0, Math.min(v, hi)); }

    @Test
    void rowGatherWithOffsetDimsLastAndFirst() {
        // x [5, 4]; rows 3, 0, 9 (clamped to 4), 1. offsetDims [1]: out[i, c]; offsetDims [0]: out[c, i].
        HostArray x = f64(s(5, 4), X), idx = i32(s(4, 1), 3, 0, 9, 1);
        long[] rows = {3, 0, 9, 1};
        List<HostArray> r = run(a -> {
            Tensor t = (Tensor) a[0], i = (Tensor) a[1];
            return List.of(Indexing.gather(t, i, GatherDims.of(new int[]{1}, new int[]{0}, new int[]{0}), new long[]{1, 4}),
                    Indexing.gather(t, i, GatherDims.of(new int[]{0}, new int[]{0}, new int[]{0}), new long[]{1, 4}));
        }, x, idx);
        double[] last = new double[16], first = new double[16];
        for (int i = 0; i < 4; i++) {
            for (int c = 0; c < 4; c++) {
                double v = X[clamp(rows[i], 4) * 4 + c];
                last[i * 4 + c] = v;
                first[c * 4 + i] = v;
            }
        }
        assertThat(r.get(0).shape()).containsExactly(4, 4);
        assertClose(r.get(0), last, 0);
        assertClose(r.get(1), first, 0);
    }

    @Test
    void pointGatherAndWindowsIn2D() {
        // x [4, 5]; index vectors (row, col) along dim 1 of the indices [3, 2].
        HostArray x = f64(s(4, 5), X), idx = i32(s(3, 2), 1, 2, 3, 4, 0, 7);
        long[][] p = {{1, 2}, {3, 4}, {0, 7}};
        List<HostArray> r = run(a -> {
            Tensor t = (Tensor) a[0], i = (Tensor) a[1];
            return List.of(
                    // points: x[r, c]
                    Indexing.gather(t, i, GatherDims.of(new int[0], new int[]{0, 1}, new int[]{0, 1}), new long[]{1, 1}),
                    // points with the index vector read as (col, row): x[c', r'] where (r', c') = (i0, i1)
                    Indexing.gather(t, i, GatherDims.of(new int[0], new int[]{0, 1}, new int[]{1, 0}), new long[]{1, 1}),
                    // 2x3 windows starting at (r, c), clamped into range: out[b, u, v]
                    Indexing.gather(t, i, GatherDims.of(new int[]{1, 2}, new int[0], new int[]{0, 1}), new long[]{2, 3}));
        }, x, idx);
        double[] pts = new double[3], swapped = new double[3], win = new double[18];
        for (int b = 0; b < 3; b++) {
            pts[b] = X[clamp(p[b][0], 3) * 5 + clamp(p[b][1], 4)];
            swapped[b] = X[clamp(p[b][1], 3) * 5 + clamp(p[b][0], 4)];
            int r0 = clamp(p[b][0], 4 - 2), c0 = clamp(p[b][1], 5 - 3);
            for (int u = 0; u < 2; u++) for (int v = 0; v < 3; v++) win[b * 6 + u * 3 + v] = X[(r0 + u) * 5 + c0 + v];
        }
        assertClose(r.get(0), pts, 0);
        assertClose(r.get(1), swapped, 0);
        assertThat(r.get(2).shape()).containsExactly(3, 2, 3);
        assertClose(r.get(2), win, 0);
    }

    @Test
    void batchingDimsPairOperandAndIndices() {
        // x [2, 5, 2] batched over dim 0 with indices [2, 3] (dim 0); scalar index vectors (indexVectorDim = rank).
        // out[b, i, c] = x[b, idx[b, i], c]
        HostArray x = f64(s(2, 5, 2), X), idx = i32(s(2, 3), 4, 0, 2, 1, 1, 3);
        long[] iv = {4, 0, 2, 1, 1, 3};
        HostArray r = run1(a -> Indexing.gather((Tensor) a[0], (Tensor) a[1],
                GatherDims.of(new int[]{2}, new int[]{1}, new int[]{1}).withBatching(new int[]{0}, new int[]{0}).withIndexVectorDim(2),
                new long[]{1, 1, 2}), x, idx);
        double[] want = new double[12];
        for (int b = 0; b < 2; b++) for (int i = 0; i < 3; i++) for (int c = 0; c < 2; c++) {
            want[(b * 3 + i) * 2 + c] = X[(b * 5 + (int) iv[b * 3 + i]) * 2 + c];
        }
        assertThat(r.shape()).containsExactly(2, 3, 2);
        assertClose(r, want, 0);
    }

    @Test
    void fillModeFillsSlicesWhoseStartIsOutOfRange() {
        // Rows of x [3, 2] at 2, -1, 3, 0 (offset dim first); 2x3 windows of y [4, 5] at (1,2) (3,0) (0,3) (2,2):
        // starts past (4-2, 5-3) = (2, 2) in any entry are filled.
        HostArray x = f64(s(3, 2), 0, 1, 2, 3, 4, 5), rows = i32(s(4, 1), 2, -1, 3, 0);
        HostArray y = f64(s(4, 5), X), starts = i32(s(4, 2), 1, 2, 3, 0, 0, 3, 2, 2);
        List<HostArray> r = run(a -> List.of(
                Indexing.gatherFill((Tensor) a[0], (Tensor) a[1], GatherDims.of(new int[]{0}, new int[]{0}, new int[]{0}), new long[]{1, 2}, -7),
                Indexing.gatherFill((Tensor) a[2], (Tensor) a[3], GatherDims.of(new int[]{1, 2}, new int[0], new int[]{0, 1}), new long[]{2, 3},
                        Double.NaN)), x, rows, y, starts);
        assertThat(r.get(0).shape()).containsExactly(2, 4);
        assertClose(r.get(0), new double[]{4, -7, -7, 0, 5, -7, -7, 1}, 0);
        double[] got = r.get(1).toDoubleArray();
        int[][] st = {{1, 2}, {3, 0}, {0, 3}, {2, 2}};
        boolean[] in = {true, false, false, true};
        for (int b = 0; b < 4; b++) for (int u = 0; u < 2; u++) for (int v = 0; v < 3; v++) {
            double g = got[b * 6 + u * 3 + v];
            if (in[b]) assertThat(g).isEqualTo(X[(st[b][0] + u) * 5 + st[b][1] + v]);
            else assertThat(g).isNaN();
        }
        HostArray win = i32(s(3, 2), 1, 2, 3, 0, 2, 1);
        gradCheck(a -> Reductions.sum(Ops.square(Indexing.gatherFill((Tensor) a[0], (Tensor) a[1],
                GatherDims.of(new int[]{1, 2}, new int[0], new int[]{0, 1}), new long[]{2, 3}, 0))), y, win);
    }

    /** d/dx sum(gather(x)^2) against central differences in f64, for overlapping clamped windows and a batched gather. */
    @Test
    void gradientOfSumOfSquaresMatchesFiniteDifferences() {
        HostArray x = f64(s(4, 5), X), win = i32(s(3, 2), 1, 2, 2, 1, 3, 4);
        gradCheck(a -> Reductions.sum(Ops.square(Indexing.gather((Tensor) a[0], (Tensor) a[1],
                GatherDims.of(new int[]{1, 2}, new int[0], new int[]{0, 1}), new long[]{2, 3}))), x, win);
        HostArray xb = f64(s(2, 5, 2), X), ib = i32(s(2, 3), 4, 0, 4, 1, 1, 3);
        gradCheck(a -> Reductions.sum(Ops.square(Indexing.gather((Tensor) a[0], (Tensor) a[1],
                GatherDims.of(new int[]{2}, new int[]{1}, new int[]{1}).withBatching(new int[]{0}, new int[]{0}).withIndexVectorDim(2),
                new long[]{1, 1, 2}))), xb, ib);
    }

    static void gradCheck(TracedFunction loss, HostArray x, HostArray idx) {
        double[] g = Jit.jit("g", Grad.grad(loss, 0)).call1(x, idx).toDoubleArray();
        Jit f = Jit.jit("f", loss);
        double[] v = x.toDoubleArray();
        double h = 1e-6, num = 0, den = 0;
        boolean someZero = false, someNonZero = false;
        for (int i = 0; i < v.length; i++) {
            double[] plus = v.clone(), minus = v.clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (f.call1(HostArray.fromDoubles(x.type(), plus), idx).getDouble(0)
                    - f.call1(HostArray.fromDoubles(x.type(), minus), idx).getDouble(0)) / (2 * h);
            num += (g[i] - fd) * (g[i] - fd);
            den += fd * fd;
            someZero |= fd == 0;
            someNonZero |= fd != 0;
        }
        assertThat(someZero && someNonZero).as("some elements are gathered, some not").isTrue();
        assertThat(Math.sqrt(num)).isLessThanOrEqualTo(1e-6 * Math.sqrt(den));
    }

    /** Bad dims are refused by stablehlo.gather's own checks, naming the rule, the dims, the shapes and the user's line. */
    @Test
    void badDimsAreRefusedByTheOpsChecksAtTheUsersLine() {
        int[] at = new int[1];
        Spec x = Spec.of(DType.F32, 4, 5), idx = Spec.of(DType.I32, 3, 2);
        DslException e = ErrorsAndJitTest.traceError(a -> {
            at[0] = ErrorsAndJitTest.line(); return Indexing.gather((Tensor) a[0], (Tensor) a[1], GatherDims.of(new int[]{1}, new int[]{0}, new int[]{0, 1}), new long[]{1, 6});
        }, x, idx);
        assertThat(e.getMessage()).isEqualTo("gather: invalid operands (f32[4, 5], i32[3, 2]): 'stablehlo.gather' op (gather_c21) "
                + "slice_sizes[1] = 6 is out of range [0, 5] of operand dim 1; operand tensor<4x5xf32>, start_indices tensor<3x2xi32>, "
                + "slice_sizes [1, 6] (at GatherTest.java:" + at[0] + ":0)");
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[]{1}, new int[]{0}, new int[]{0}), 1, 5), x, idx).getMessage())
                .contains("(gather_c3) start_index_map [0] has 1 entries but the index vectors (dim 1 of start_indices) have size 2",
                        "(at GatherTest.java:");
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[]{1}, new int[]{0}, new int[]{0, 1}), 2, 5), x, idx).getMessage())
                .contains("(gather_c9) slice_sizes[0] = 2 must be 0 or 1: dim 0 is in collapsed_slice_dims");
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[]{1}, new int[]{0}, new int[]{0, 1}).withIndexVectorDim(3), 1, 5), x, idx)
                .getMessage()).contains("(gather_c2) index_vector_dim 3 is out of range [0, 2] of start_indices");
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[]{1}, new int[]{2}, new int[]{0, 1}), 1, 5), x, idx).getMessage())
                .contains("(gather_c8) collapsed_slice_dims [2]: entry 2 is out of range [0, 2) of the operand's rank");
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[]{2}, new int[]{0}, new int[]{0, 1}), 1, 5), x, idx).getMessage())
                .contains("(gather_c5) offset_dims [2]: entry 2 is out of range [0, 2) of the result's rank");
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[0], new int[]{0}, new int[]{0, 1}), 1, 5), x, idx).getMessage())
                .contains("(gather_c1) offset_dims [], collapsed_slice_dims [0] and operand_batching_dims [] must have 2 entries in all");
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[]{1}, new int[]{0}, new int[]{0, 0}), 1, 5), x, idx).getMessage())
                .contains("(gather_c18) start_index_map [0, 0] repeats dim 0");
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[0], new int[]{1, 0}, new int[]{0, 1}), 1, 1), x, idx).getMessage())
                .contains("(gather_c7) collapsed_slice_dims [1, 0] must be sorted");
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[0], new int[]{0, 1}, new int[]{0, 1}).withBatching(new int[]{1}, new int[]{0}),
                1, 1), x, idx).getMessage()).contains("(gather_c6) collapsed_slice_dims [0, 1] and operand_batching_dims [1] repeat dim 1");
        Spec xb = Spec.of(DType.F32, 2, 5), ib = Spec.of(DType.I32, 3);
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[0], new int[]{1}, new int[]{1}).withBatching(new int[]{0}, new int[]{0})
                .withIndexVectorDim(1), 1, 1), xb, ib).getMessage())
                .contains("(gather_c17) operand_batching_dims[0] = dim 0 of the operand (size 2) and start_indices_batching_dims[0] = dim 0"
                        + " of start_indices (size 3) must have the same size; operand tensor<2x5xf32>, start_indices tensor<3xi32>");
        assertThat(refuse(a -> gather(a, GatherDims.of(new int[]{1}, new int[]{0}, new int[]{0}), 1, 5), x, Spec.of(DType.F32, 3, 1))
                .getMessage()).startsWith("gather: invalid operands (f32[4, 5], f32[3, 1]): 'stablehlo.gather' op (gather_i2) start_indices"
                        + " must have integer elements");
        // gatherFill builds its mask from the dims too: refused the same way, at the user's line.
        DslException fill = ErrorsAndJitTest.traceError(a -> {
            at[0] = ErrorsAndJitTest.line(); return Indexing.gatherFill((Tensor) a[0], (Tensor) a[1], GatherDims.of(new int[]{1}, new int[]{0}, new int[]{0, 2}), new long[]{1, 5}, 0);
        }, x, idx);
        assertThat(fill.getMessage()).contains("gather: invalid operands (f32[4, 5], i32[3, 2]): 'stablehlo.gather' op (gather_c19) "
                + "start_index_map [0, 2]: entry 2 is out of range [0, 2) of the operand's rank").endsWith("(at GatherTest.java:" + at[0] + ":0)");
    }

    static Tensor gather(Object[] a, GatherDims d, long... sizes) {
        return Indexing.gather((Tensor) a[0], (Tensor) a[1], d, sizes);
    }

    static DslException refuse(TracedFunction fn, Object... specs) { return ErrorsAndJitTest.traceError(fn, specs); }
}
