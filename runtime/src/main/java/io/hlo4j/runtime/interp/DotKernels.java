package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * {@code dot_general}: operands are brought to [batch, free, contracting] layout, multiplied with a blocked
 * loop that accumulates in double (long for integers, wrapping at the end), rounded once to the result type.
 * Large products use every core. The precision config never lowers precision on the interpreter; a dot
 * algorithm's operand precision types round the operands first.
 */
final class DotKernels {
    private DotKernels() {}

    static void register() {
        Kernels.put("stablehlo.dot_general", (op, a, f) -> {
            var dn = Attrs.typed(op, "dot_dimension_numbers", io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers.class);
            return List.of(dotGeneral(op, (Tensor) a.get(0), (Tensor) a.get(1),
                    dn.lhsBatchingDimensions().toArray(), dn.rhsBatchingDimensions().toArray(),
                    dn.lhsContractingDimensions().toArray(), dn.rhsContractingDimensions().toArray(),
                    (TensorType) op.result().type()));
        });
        Kernels.put("stablehlo.dot", (op, a, f) -> {
            Tensor l = (Tensor) a.get(0), r = (Tensor) a.get(1);
            return List.of(dotGeneral(op, l, r, new long[0], new long[0], new long[] {l.rank() - 1}, new long[] {0},
                    (TensorType) op.result().type()));
        });
        Kernels.put("chlo.ragged_dot", RaggedDot::eval);
    }

    static int[] free(int rank, long[] a, long[] b) {
        boolean[] used = new boolean[rank];
        for (long d : a) used[(int) d] = true;
        for (long d : b) used[(int) d] = true;
        int n = 0;
        for (boolean u : used) if (!u) n++;
        int[] out = new int[n];
        for (int d = 0, k = 0; d < rank; d++) if (!used[d]) out[k++] = d;
        return out;
    }

    /** {@code x} transposed to the given dimension order, flattened. */
    static Tensor permute(Tensor x, long[] order) {
        boolean identity = true;
        for (int i = 0; i < order.length; i++) if (order[i] != i) identity = false;
        if (identity) return x;
        long[] shape = new long[order.length];
        for (int i = 0; i < order.length; i++) shape[i] = x.shape[(int) order[i]];
        return ShapeKernels.transpose(x, TensorType.of(x.elementType, shape), order);
    }

    static long prod(long[] shape, long[] dims) {
        long p = 1;
        for (long d : dims) p *= shape[(int) d];
        return p;
    }

    static long prod(long[] shape, int[] dims) {
        long p = 1;
        for (int d : dims) p *= shape[d];
        return p;
    }

    static long[] concat(long[] a, int[] b, long[] c) {
        long[] o = new long[a.length + b.length + c.length];
        int k = 0;
        for (long v : a) o[k++] = v;
        for (int v : b) o[k++] = v;
        for (long v : c) o[k++] = v;
        return o;
    }

    /** Whether {@code jdk.incubator.vector} was added to the boot layer ({@link VectorModule}): {@link VectorMatmul} needs it. */
    static final boolean VECTOR = VectorModule.inBootLayer();

    private static final Pattern PREC = Pattern.compile("(lhs|rhs)_precision_type\\s*=\\s*([A-Za-z0-9]+)");

    static Tensor dotGeneral(Operation op, Tensor lhs, Tensor rhs, long[] lb, long[] rb, long[] lc, long[] rc, TensorType rt) {
        return dotGeneral(op, lhs, rhs, lb, rb, lc, rc, free(lhs.rank(), lb, lc), free(rhs.rank(), rb, rc), rt);
    }

    /**
     * dot_general with operands 0 and 1 as tensors or {@link TransposeFolding.Folded} transposes: a folded operand's
     * dimension numbers, and its free dimensions in the order the transposed tensor has them, are mapped to its
     * untransposed tensor, so the one permutation below ({@link #permute}: the transpose's and the dot's composed)
     * yields the very array the dot built from the transposed tensor, and the same bits.
     */
    static Tensor dotGeneralFolded(Operation op, Object lhs, Object rhs) {
        var dn = Attrs.typed(op, "dot_dimension_numbers", io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers.class);
        long[] lb = dn.lhsBatchingDimensions().toArray(), rb = dn.rhsBatchingDimensions().toArray();
        long[] lc = dn.lhsContractingDimensions().toArray(), rc = dn.rhsContractingDimensions().toArray();
        Side l = Side.of(lhs, lb, lc), r = Side.of(rhs, rb, rc);
        return dotGeneral(op, l.t, r.t, l.batch, r.batch, l.contracting, r.contracting, l.frees, r.frees,
                (TensorType) op.result().type());
    }

    /** One operand of a dot and its batch, contracting and free dimensions; a folded transpose's mapped to its operand. */
    private record Side(Tensor t, long[] batch, long[] contracting, int[] frees) {
        static Side of(Object x, long[] batch, long[] contracting) {
            if (x instanceof TransposeFolding.Folded f) { // free dimensions in the transposed tensor's order, then mapped
                return new Side(f.x(), f.map(batch), f.map(contracting), f.map(free(f.x().rank(), batch, contracting)));
            }
            Tensor t = (Tensor) x;
            return new Side(t, batch, contracting, free(t.rank(), batch, contracting));
        }
    }

    /** {@code lf} and {@code rf}: the free dimensions, in the order the result has them. */
    static Tensor dotGeneral(Operation op, Tensor lhs, Tensor rhs, long[] lb, long[] rb, long[] lc, long[] rc, int[] lf, int[] rf,
                             TensorType rt) {
        Tensor l = permute(lhs, concat(lb, lf, lc));
        Tensor r = permute(rhs, concat(rb, new int[0], concat(rc, rf, new long[0])));
        int B = (int) prod(lhs.shape, lb), M = (int) prod(lhs.shape, lf), K = (int) prod(lhs.shape, lc), N = (int) prod(rhs.shape, rf);
        Tensor out = Tensor.zeros(rt);
        ElementType et = rt.elementType();
        switch (out.elem) {
            case FLOAT -> {
                FloatType ft = (FloatType) et;
                double[] a = operandAsDouble(l, ft, precision(op, "lhs")), b = operandAsDouble(r, ft, precision(op, "rhs"));
                // Accumulate in f64 for f64 results and in f32 (one rounding per multiply-add) for every narrower
                // type, then round once to the result type: XLA's CPU numerics, which the expected values come from.
                if (ft.kind() == FloatKind.F64) {
                    matmul(a, b, out.re, B, M, K, N, false);
                } else {
                    float[] cf = matmulF32(a, b, B, M, K, N);
                    double[] o = out.re;
                    if (ft.kind() == FloatKind.F32) FloatLoops.forRange(cf.length, (lo, hi) -> { for (int i = lo; i < hi; i++) o[i] = cf[i]; });
                    else for (long i0 = 0; i0 < cf.length; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, cf.length); i < iEnd; i++) o[i] = Elem.round(ft, cf[i]);
                }
            }
            case COMPLEX -> {
                FloatType ft = ((ComplexType) et).elementType();
                double[] ar = operandAsDouble(l, ft, null), br = operandAsDouble(r, ft, null);
                double[] ai = l.im == null ? new double[l.size] : l.im, bi = r.im == null ? new double[r.size] : r.im;
                boolean f32 = ft.kind() != FloatKind.F64;
                StopCheck stop = StopCheck.current();
                for (int bb = 0; bb < B; bb++) {
                    for (int i = 0; i < M; i++) {
                        stop.poll((long) K * N);
                        int ao = (bb * M + i) * K, co = (bb * M + i) * N;
                        for (int j = 0; j < N; j++) {
                            double sr = 0, si = 0;
                            int bo = bb * K * N + j;
                            for (int k = 0; k < K; k++) {
                                int x = ao + k, y = bo + k * N;
                                double pr, pi;
                                if (f32) { // complex64 products rounded per term, as XLA's CPU complex multiply does
                                    pr = (float) (ar[x] * br[y]) - (float) (ai[x] * bi[y]); // float arithmetic: rounded
                                    pi = (float) (ar[x] * bi[y]) + (float) (ai[x] * br[y]);
                                } else {
                                    pr = ar[x] * br[y] - ai[x] * bi[y];
                                    pi = ar[x] * bi[y] + ai[x] * br[y];
                                }
                                sr = f32 ? (float) (sr + pr) : sr + pr;
                                si = f32 ? (float) (si + pi) : si + pi;
                            }
                            out.re[co + j] = Elem.round(ft, sr);
                            out.im[co + j] = Elem.round(ft, si);
                        }
                    }
                }
            }
            default -> {
                long[] a = operandAsLong(l, et), b = operandAsLong(r, et);
                StopCheck stop = StopCheck.current();
                for (int bb = 0; bb < B; bb++) {
                    for (int i = 0; i < M; i++) {
                        stop.poll((long) K * N);
                        for (int j = 0; j < N; j++) {
                            long s = 0;
                            int ao = (bb * M + i) * K, bo = bb * K * N + j;
                            for (int k = 0; k < K; k++) s += a[ao + k] * b[bo + k * N];
                            out.ints[(bb * M + i) * N + j] = out.elem == Elem.BOOL ? (s != 0 ? 1 : 0) : Elem.wrap(et, s);
                        }
                    }
                }
            }
        }
        return out;
    }

    private static FloatKind precision(Operation op, String side) {
        Attribute alg = op == null ? null : op.attr("algorithm");
        if (alg == null) return null;
        Matcher m = PREC.matcher(alg.toString());
        while (m.find()) if (m.group(1).equals(side)) return FloatKind.fromMnemonic(m.group(2));
        return null;
    }

    /** Operand values converted to the result's float type (and to an algorithm's precision type, when given). */
    static double[] operandAsDouble(Tensor x, FloatType to, FloatKind precision) {
        boolean exact = x.elem == Elem.FLOAT || x.elem == Elem.COMPLEX;
        if (exact && (precision == null || precision == FloatKind.F64)) return x.re; // read-only below: no copy
        double[] o = new double[x.size];
        for (long i0 = 0; i0 < o.length; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, o.length); i < iEnd; i++) {
            double v = x.asDouble(i);
            if (!exact) v = Elem.round(to, v);
            if (precision != null && precision != FloatKind.F64) v = Floats.round(precision, v);
            o[i] = v;
        }
        return o;
    }

    static long[] operandAsLong(Tensor x, ElementType to) {
        if (x.elem.isInt()) return x.ints;
        long[] o = new long[x.size];
        for (long i0 = 0; i0 < o.length; i0 += StopCheck.STEP) for (int i = (int) i0, iEnd = StopCheck.end(i0, o.length); i < iEnd; i++) o[i] = (long) x.re[i];
        return o;
    }

    /**
     * The f32-accumulating product: operands and accumulator as floats, one fused multiply-add (a single
     * rounding) per term, k ascending; rows in parallel when the product is large. Returns c as floats.
     */
    static float[] matmulF32(double[] a, double[] b, int B, int M, int K, int N) {
        // few columns (a router's 8): vectorised over rows, reading the operands' doubles itself
        if (NarrowMatmul.applies(M, K, N)) return NarrowMatmul.multiply(a, b, B, M, K, N);
        float[] af = toFloats(a), bf = toFloats(b);
        float[] cf = new float[B * M * N];
        matmulF32Into(af, 0, bf, 0, cf, 0, B, M, K, N);
        return cf;
    }

    /**
     * c[cOff..] (B x M x N) = a[aOff..] (B x M x K) x b[bOff..] (B x K x N) in f32: {@link VectorMatmul} when the
     * module is present and the product is worth it, else {@link #matmulF32Scalar}; the same terms and order, so the
     * same bits either way, but for which NaN operand's payload and sign a NaN result carries.
     */
    static void matmulF32Into(float[] af, int aOff, float[] bf, int bOff, float[] cf, int cOff, int B, int M, int K, int N) {
        // narrow products too (a router's N = 8): the padded panel's vector lanes beat the scalar row loop
        if ((long) B * M * N * K >= 1 << 15 && VECTOR && N >= 8) VectorMatmul.multiply(af, aOff, bf, bOff, cf, cOff, B, M, K, N);
        else matmulF32Scalar(af, aOff, bf, bOff, cf, cOff, B, M, K, N);
    }

    /** Values already exact in f32 (or rounded to it), as floats; chunks on both cores for large arrays. */
    static float[] toFloats(double[] a) {
        float[] f = new float[a.length];
        FloatLoops.forRange(a.length, (lo, hi) -> { for (int i = lo; i < hi; i++) f[i] = (float) a[i]; });
        return f;
    }

    /** {@link #matmulF32}'s loop without the vector module (any shape), widened into c. */
    static void matmulF32Scalar(float[] af, float[] bf, double[] c, int B, int M, int K, int N) {
        float[] cf = new float[c.length];
        matmulF32Scalar(af, 0, bf, 0, cf, 0, B, M, K, N);
        for (int i = 0; i < cf.length; i++) c[i] = cf[i];
    }

    /**
     * The f32 product without the vector module: c[cOff..] (B x M x N) = af[aOff..] (B x M x K) x bf[bOff..]
     * (B x K x N), each element one f32 fma per k, ascending from +0 (the terms and order of {@link VectorMatmul});
     * {@link ScalarMatmul}'s loops, which C2 vectorises; in parallel when the product is large.
     */
    static void matmulF32Scalar(float[] af, int aOff, float[] bf, int bOff, float[] c, int cOff, int B, int M, int K, int N) {
        ScalarMatmul.multiply(af, aOff, bf, bOff, c, cOff, B, M, K, N);
    }

    /** c[b] += a[b] (MxK) x b[b] (KxN), row-major; rows in parallel when the product is large. */
    static void matmul(double[] a, double[] b, double[] c, int B, int M, int K, int N, boolean f32) {
        long work = (long) B * M * N * K;
        IntStream rows = IntStream.range(0, B * M);
        if (work > 1 << 20) rows = rows.parallel();
        StopCheck stop = StopCheck.current(); // workers check for the op's thread
        stop.forEach(rows, row -> {
            stop.poll((long) K * N);
            int bb = row / M;
            int ao = row * K, bo = bb * K * N, co = row * N;
            for (int k = 0; k < K; k++) {
                double av = a[ao + k];
                int bk = bo + k * N;
                if (f32) for (int j = 0; j < N; j++) c[co + j] = (float) (c[co + j] + av * b[bk + j]);
                else for (int j = 0; j < N; j++) c[co + j] += av * b[bk + j];
            }
        });
    }
}
