package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code reduce}, {@code reduce_window}, {@code map} and {@code select_and_scatter}. Elements are combined
 * in row-major order starting from the init value, as the reference interpreter does. A combiner that is a
 * single primitive op runs on primitive arrays; any other region is evaluated per element.
 */
final class ReduceKernels {
    private ReduceKernels() {}

    static void register() {
        Kernels.put("stablehlo.reduce", ReduceKernels::reduce);
        Kernels.put("stablehlo.reduce_window", ReduceKernels::reduceWindow);
        Kernels.put("stablehlo.map", ReduceKernels::map);
        Kernels.put("stablehlo.select_and_scatter", SelectAndScatter::eval);
    }

    /** Applies a region to scalars: {@code acc_i = body(acc..., x...)} for every operand i. */
    static void combine(Frame f, Region body, Tensor[] acc, int o, Tensor[] xs, int i) {
        int n = acc.length;
        List<RtValue> args = new ArrayList<>(2 * n);
        for (int k = 0; k < n; k++) args.add(acc[k].element(o));
        for (int k = 0; k < n; k++) args.add(xs[k].element(i));
        List<RtValue> r = f.region(body, args);
        for (int k = 0; k < n; k++) acc[k].copyElement(o, (Tensor) r.get(k), 0);
    }

    private static List<RtValue> reduce(Operation op, List<RtValue> args, Frame f) {
        int n = args.size() / 2;
        Tensor[] xs = new Tensor[n], acc = new Tensor[n];
        long[] dims = Attrs.required(op, "dimensions");
        for (int k = 0; k < n; k++) {
            xs[k] = (Tensor) args.get(k);
            Tensor init = (Tensor) args.get(n + k), a = Tensor.blank(op.result(k).type());
            acc[k] = a;
            FloatLoops.forRange(a.size, (lo, hi) -> { for (int o = lo; o < hi; o++) a.copyElement(o, init, 0); });
        }
        Region body = op.region(0);
        ScalarOp fast = n == 1 ? ScalarOp.of(body, xs[0].elementType) : null;
        if (fast != null && !acc[0].elementType.equals(fast.type)) fast = null;
        Tensor x = xs[0];
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (long d : dims) reduced[(int) d] = true;
        if (fast != null && x.size >= PARALLEL_MIN && acc[0].size >= 2) {
            reduceParallel(fast, x, acc[0], reduced);
            return List.of((RtValue[]) acc);
        }
        // output stride of each input dimension (0 for reduced dimensions)
        long[] ostride = new long[rank];
        long s = 1;
        for (int d = rank - 1; d >= 0; d--) if (!reduced[d]) { ostride[d] = s; s *= x.shape[d]; }
        int[] idx = new int[rank];
        int o = 0;
        for (long i0 = 0; i0 < x.size; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, x.size); i < iEnd; i++) {
            if (fast != null) fast.accumulate(acc[0], o, x, i);
            else combine(f, body, acc, o, xs, i);
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                o += (int) ostride[d];
                if (idx[d] < x.shape[d]) break;
                o -= (int) (ostride[d] * x.shape[d]);
                idx[d] = 0;
            }
        }
        return List.of((RtValue[]) acc);
    }

    static final int PARALLEL_MIN = 1 << 16;

    /**
     * A primitive reduction split over output elements across cores; each output still combines its inputs in
     * row-major order from the init value, so the result is identical to the sequential loop.
     */
    static void reduceParallel(ScalarOp fast, Tensor x, Tensor acc, boolean[] reduced) {
        int rank = x.rank();
        int[] xs = Tensor.strides(x.shape);
        int nk = 0, nr = 0;
        for (boolean r : reduced) if (r) nr++; else nk++;
        long[] keptShape = new long[nk], redShape = new long[nr];
        int[] keptStride = new int[nk], redStride = new int[nr];
        for (int d = 0, k = 0, r = 0; d < rank; d++) {
            if (reduced[d]) { redShape[r] = x.shape[d]; redStride[r++] = xs[d]; }
            else { keptShape[k] = x.shape[d]; keptStride[k++] = xs[d]; }
        }
        int redSize = (int) Layout.product(redShape);
        boolean suffix = true; // reduced dims all after the kept ones: output o reduces one contiguous run
        for (int d = 0; d < nk; d++) if (reduced[d]) suffix = false;
        if (suffix && x.elem == Elem.FLOAT && acc.elem == Elem.FLOAT) {
            StopCheck.range(acc.size, Math.max(1, FloatLoops.CHUNK / Math.max(1, redSize)), redSize,
                    (lo, hi) -> reduceRuns(fast, x.re, acc.re, redSize, lo, hi));
            return;
        }
        int first = -1, last = -1; // reduced dims one contiguous block: x is [outer, red, inner]
        for (int d = 0; d < rank; d++) if (reduced[d]) { if (first < 0) first = d; last = d; }
        boolean block = first >= 0 && last - first + 1 == nr;
        if (block && x.elem == Elem.FLOAT && acc.elem == Elem.FLOAT) {
            int inner = 1;
            for (int d = last + 1; d < rank; d++) inner *= (int) x.shape[d];
            reduceBlock(fast, x.re, acc.re, acc.size / inner, redSize, inner);
            return;
        }
        StopCheck stop = StopCheck.current(); // captured for the workers: each output reduces redSize inputs
        stop.forEach(java.util.stream.IntStream.range(0, acc.size).parallel(), o -> {
            stop.poll(redSize);
            long[] kidx = new long[keptShape.length];
            Layout.unflatten(o, keptShape, kidx);
            int base = 0;
            for (int k = 0; k < kidx.length; k++) base += (int) kidx[k] * keptStride[k];
            int[] ridx = new int[redShape.length];
            int off = base;
            for (int i = 0; i < redSize; i++) {
                fast.accumulate(acc, o, x, off);
                for (int r = redShape.length - 1; r >= 0; r--) {
                    ridx[r]++;
                    off += redStride[r];
                    if (ridx[r] < redShape[r]) break;
                    off -= redStride[r] * (int) redShape[r];
                    ridx[r] = 0;
                }
            }
        });
    }

    /** The fewest reduced rows for which a column max runs Math.max and redoes its NaN columns (see reduceBlock). */
    static final int MAX_REDO_ROWS = 4;

    /**
     * x as [outer, red, inner] reduced over red: {@code acc[o, j]} combines {@code x[o, r, j]} for r ascending (the
     * row-major order), a vector-friendly loop over j; tasks are (o, block of j).
     */
    static void reduceBlock(ScalarOp fast, double[] x, double[] acc, int outer, int red, int inner) {
        boolean f32 = fast.floatType().kind() == io.hlo4j.mlir.types.FloatKind.F32;
        int code = !f32 ? -1 : switch (fast.name) {
            case "stablehlo.add" -> 0;
            case "stablehlo.maximum" -> 1;
            default -> -1;
        };
        int jb = Math.min(inner, 1024), jblocks = (inner + jb - 1) / jb;
        // max over fewer than MAX_REDO_ROWS rows: Floats.max per element, since the redo's copy of the init values
        // and its NaN pass would cost about as much as the rows themselves
        boolean redo = code == 1 && red >= MAX_REDO_ROWS;
        StopCheck.range(outer * jblocks, Math.max(1, FloatLoops.CHUNK / Math.max(1, red * jb)), (long) red * jb, (lo, hi) -> {
            double[] init = redo ? new double[jb] : null; // one per chunk of tasks, not per task
            for (int t = lo; t < hi; t++) {
                int o = t / jblocks, j0 = (t % jblocks) * jb, j1 = Math.min(inner, j0 + jb);
                int ao = o * inner;
                if (redo) System.arraycopy(acc, ao + j0, init, 0, j1 - j0);
                for (int r = 0; r < red; r++) {
                    int xo = (o * red + r) * inner;
                    if (code == 0) for (int j = j0; j < j1; j++) acc[ao + j] = (float) (acc[ao + j] + x[xo + j]);
                    else if (redo) for (int j = j0; j < j1; j++) acc[ao + j] = (float) Math.max(acc[ao + j], x[xo + j]);
                    else if (code == 1) for (int j = j0; j < j1; j++) acc[ao + j] = (float) Floats.max(acc[ao + j], x[xo + j]);
                    else for (int j = j0; j < j1; j++) acc[ao + j] = fast.apply(acc[ao + j], x[xo + j]);
                }
                if (redo) {
                    // Math.max (which C2 vectorises) is Floats.max unless a NaN met the column, and then its result
                    // is NaN: such a column is redone in order from its init value, keeping the first NaN
                    for (int j = j0; j < j1; j++) {
                        if (acc[ao + j] == acc[ao + j]) continue;
                        double a = init[j - j0];
                        for (int r = 0; r < red; r++) a = (float) Floats.max(a, x[(o * red + r) * inner + j]);
                        acc[ao + j] = a;
                    }
                }
            }
        });
    }

    /**
     * {@code acc[o] = op(... op(acc[o], x[o*len]) ..., x[o*len+len-1])} for o in [lo, hi): the sequential order, with
     * the combiner's own expression and rounding, in a loop per combiner (no per-element dispatch).
     */
    static void reduceRuns(ScalarOp fast, double[] x, double[] acc, int len, int lo, int hi) {
        boolean f32 = fast.floatType().kind() == io.hlo4j.mlir.types.FloatKind.F32;
        boolean f64 = fast.floatType().kind() == io.hlo4j.mlir.types.FloatKind.F64;
        int o = lo;
        boolean add = fast.name.equals("stablehlo.add"), max = fast.name.equals("stablehlo.maximum");
        boolean min = fast.name.equals("stablehlo.minimum");
        if ((f32 || f64) && (max || min) && DotKernels.VECTOR && len >= 16) {
            // exact and order-free (NaN aside, which VectorReduce redoes in order): the result of a float is a float
            for (; o < hi; o++) acc[o] = max ? VectorReduce.max(x, o * len, len, acc[o]) : VectorReduce.min(x, o * len, len, acc[o]);
            return;
        }
        if (f32 && (add || max)) {
            // Eight outputs at a time (eight independent dependency chains), accumulated as floats: the inputs are
            // f32 values, and a float add or max gives exactly the f32 rounding of the double operation.
            for (; o + 8 <= hi; o += 8) {
                float a0 = (float) acc[o], a1 = (float) acc[o + 1], a2 = (float) acc[o + 2], a3 = (float) acc[o + 3];
                float a4 = (float) acc[o + 4], a5 = (float) acc[o + 5], a6 = (float) acc[o + 6], a7 = (float) acc[o + 7];
                int b0 = o * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len, b4 = b3 + len, b5 = b4 + len, b6 = b5 + len, b7 = b6 + len;
                if (add) {
                    for (int i = 0; i < len; i++) {
                        a0 += (float) x[b0 + i]; a1 += (float) x[b1 + i]; a2 += (float) x[b2 + i]; a3 += (float) x[b3 + i];
                        a4 += (float) x[b4 + i]; a5 += (float) x[b5 + i]; a6 += (float) x[b6 + i]; a7 += (float) x[b7 + i];
                    }
                } else {
                    // Math.max, which is Floats.max unless a NaN meets the row; then its result is NaN, and
                    // maxRowF32 redoes that row in order to keep the first NaN (as the tail loop below does)
                    for (int i = 0; i < len; i++) {
                        a0 = Math.max(a0, (float) x[b0 + i]); a1 = Math.max(a1, (float) x[b1 + i]);
                        a2 = Math.max(a2, (float) x[b2 + i]); a3 = Math.max(a3, (float) x[b3 + i]);
                        a4 = Math.max(a4, (float) x[b4 + i]); a5 = Math.max(a5, (float) x[b5 + i]);
                        a6 = Math.max(a6, (float) x[b6 + i]); a7 = Math.max(a7, (float) x[b7 + i]);
                    }
                    if (a0 != a0) a0 = maxRowF32(x, b0, len, acc[o]);
                    if (a1 != a1) a1 = maxRowF32(x, b1, len, acc[o + 1]);
                    if (a2 != a2) a2 = maxRowF32(x, b2, len, acc[o + 2]);
                    if (a3 != a3) a3 = maxRowF32(x, b3, len, acc[o + 3]);
                    if (a4 != a4) a4 = maxRowF32(x, b4, len, acc[o + 4]);
                    if (a5 != a5) a5 = maxRowF32(x, b5, len, acc[o + 5]);
                    if (a6 != a6) a6 = maxRowF32(x, b6, len, acc[o + 6]);
                    if (a7 != a7) a7 = maxRowF32(x, b7, len, acc[o + 7]);
                }
                acc[o] = a0; acc[o + 1] = a1; acc[o + 2] = a2; acc[o + 3] = a3;
                acc[o + 4] = a4; acc[o + 5] = a5; acc[o + 6] = a6; acc[o + 7] = a7;
            }
        }
        for (; o < hi; o++) {
            double a = acc[o];
            int from = o * len, to = from + len;
            if (f32 && fast.name.equals("stablehlo.add")) for (int i = from; i < to; i++) a = (float) (a + x[i]);
            else if (f32 && fast.name.equals("stablehlo.maximum")) {
                for (int i = from; i < to; i++) a = (float) Math.max(a, x[i]);
                if (a != a) a = maxRowF32(x, from, len, acc[o]);
            }
            else if (f64 && fast.name.equals("stablehlo.add")) for (int i = from; i < to; i++) a = a + x[i];
            else for (int i = from; i < to; i++) a = fast.apply(a, x[i]);
            acc[o] = a;
        }
    }

    /** {@code Floats.max(... Floats.max(init, x[from]) ..., x[from + len - 1])} in f32: the first NaN as it is. */
    private static float maxRowF32(double[] x, int from, int len, double init) {
        float a = (float) init;
        for (int i = from; i < from + len; i++) a = Floats.max(a, (float) x[i]);
        return a;
    }

    private static List<RtValue> reduceWindow(Operation op, List<RtValue> args, Frame f) {
        int n = args.size() / 2;
        Tensor[] xs = new Tensor[n], acc = new Tensor[n];
        for (int k = 0; k < n; k++) xs[k] = (Tensor) args.get(k);
        Tensor x = xs[0];
        int rank = x.rank();
        long[] win = Attrs.required(op, "window_dimensions");
        long[] strides = Attrs.ints(op, "window_strides", ShapeKernels.ones(rank));
        long[] bdil = Attrs.ints(op, "base_dilations", ShapeKernels.ones(rank));
        long[] wdil = Attrs.ints(op, "window_dilations", ShapeKernels.ones(rank));
        long[] padding = Attrs.ints(op, "padding", new long[2 * rank]);
        Tensor[] inits = new Tensor[n];
        for (int k = 0; k < n; k++) {
            inits[k] = (Tensor) args.get(n + k);
            acc[k] = Tensor.blank(op.result(k).type());
            Tensor a = acc[k], init = inits[k];
            FloatLoops.forRange(a.size, (lo, hi) -> { for (int o = lo; o < hi; o++) a.copyElement(o, init, 0); });
        }
        Region body = op.region(0);
        ScalarOp fast = n == 1 ? ScalarOp.of(body, x.elementType) : null;
        if (fast != null && !acc[0].elementType.equals(fast.type)) fast = null;
        int[] xs_ = Tensor.strides(x.shape);
        long[] oidx = new long[rank], widx = new long[rank];
        int wsize = (int) Layout.product(win);
        long[] oshape = acc[0].shape;
        StopCheck stop = StopCheck.current(); // one output position can be a window of millions of elements
        for (int o = 0; o < acc[0].size; o++) {
            stop.poll(wsize);
            Layout.unflatten(o, oshape, oidx);
            Arrays.fill(widx, 0);
            for (int w = 0; w < wsize; w++) {
                int src = 0;
                boolean pad = false;
                for (int d = 0; d < rank; d++) {
                    long p = oidx[d] * strides[d] + widx[d] * wdil[d] - padding[2 * d];
                    if (p < 0 || p % bdil[d] != 0 || p / bdil[d] >= x.shape[d]) { pad = true; break; }
                    src += (int) (p / bdil[d]) * xs_[d];
                }
                if (fast != null) fast.accumulate(acc[0], o, pad ? inits[0] : x, pad ? 0 : src);
                else if (pad) combine(f, body, acc, o, inits, 0);
                else combine(f, body, acc, o, xs, src);
                for (int d = rank - 1; d >= 0; d--) {
                    if (++widx[d] < win[d]) break;
                    widx[d] = 0;
                }
            }
        }
        return List.of((RtValue[]) acc);
    }

    private static List<RtValue> map(Operation op, List<RtValue> args, Frame f) {
        Tensor r = Tensor.blank(op.result().type());
        Region body = op.region(0);
        List<RtValue> scalars = new ArrayList<>(args.size());
        for (int i = 0; i < r.size; i++) {
            scalars.clear();
            for (RtValue a : args) scalars.add(((Tensor) a).element(i));
            r.copyElement(i, (Tensor) f.region(body, scalars).get(0), 0);
        }
        return List.of(r);
    }

    static TensorType type(Operation op, int i) { return (TensorType) op.result(i).type(); }
}
