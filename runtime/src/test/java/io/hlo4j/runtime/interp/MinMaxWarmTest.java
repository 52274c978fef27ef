package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.FloatType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * maximum / minimum and max reductions give the same bits in a warm JVM as on their first call: NaN payloads (the
 * first NaN operand as it is), -0.0 below +0.0, and plain values. Each kernel runs {@link #RUNS} times on small
 * arrays, so C2 compiles its loops (Math.max's C2 intrinsic returns a canonical NaN where the interpreted method
 * returns an operand); every run is compared bit for bit with an oracle computed here on raw bits.
 */
class MinMaxWarmTest {
    static final int RUNS = 20_000;

    static final double NAN_A = Float.intBitsToFloat(0x7fc00123), NAN_B = Float.intBitsToFloat(0xffc00456);
    static final double NAN_C = Float.intBitsToFloat(0x7fd0beef);

    /** IEEE maximum / minimum with the first NaN operand kept: decided on the values' signs and order, not Math.max. */
    static double oracle(boolean max, double a, double b) {
        if (Double.isNaN(a)) return a;
        if (Double.isNaN(b)) return b;
        if (a == b) { // equal values, or -0.0 and +0.0: +0.0 is the larger
            boolean aNeg = Double.doubleToRawLongBits(a) < 0, bNeg = Double.doubleToRawLongBits(b) < 0;
            if (aNeg == bNeg) return a;
            return max == aNeg ? b : a;
        }
        return max == a > b ? a : b;
    }

    /**
     * f32 values: block 0 (the kernels' first 1,024 elements) has no NaN but signed zeros in every pairing and
     * infinities; block 1 has NaNs in x only, y only and both; the tail (37 elements) a NaN in y.
     */
    static double[][] operands() {
        int n = 2 * MinMaxLoops.BLOCK + 37;
        double[] x = new double[n], y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((i * 7919L) % 1000 / 8.0 - 60);
            y[i] = (float) ((i * 104_729L) % 1000 / 8.0 - 60);
        }
        double[][] zeros = {{0.0, -0.0}, {-0.0, 0.0}, {-0.0, -0.0}, {0.0, 0.0}, {Double.NEGATIVE_INFINITY, -0.0},
                {Double.POSITIVE_INFINITY, 3.5}, {-2.0, Double.NEGATIVE_INFINITY}};
        for (int k = 0; k < zeros.length; k++) {
            x[10 + k] = zeros[k][0];
            y[10 + k] = zeros[k][1];
            x[1024 + 500 + k] = zeros[k][0]; // and next to NaNs in block 1
            y[1024 + 500 + k] = zeros[k][1];
        }
        x[1024 + 3] = NAN_A;
        y[1024 + 4] = NAN_B;
        x[1024 + 5] = NAN_B;
        y[1024 + 5] = NAN_A;
        x[1024 + 6] = NAN_C;
        y[1024 + 6] = -0.0;
        y[n - 2] = NAN_C;
        return new double[][] {x, y};
    }

    @Test
    void elementwiseMaxAndMinGiveTheFirstCallsBitsAfterWarmUp() {
        double[][] xy = operands();
        double[] x = xy[0], y = xy[1];
        int n = x.length;
        for (FloatType ft : List.of(FloatType.F32, FloatType.F64)) {
            for (String name : List.of("stablehlo.maximum", "stablehlo.minimum")) {
                boolean max = name.endsWith("maximum");
                long[] want = new long[n];
                for (int i = 0; i < n; i++) want[i] = Double.doubleToRawLongBits(oracle(max, x[i], y[i]));
                for (String alias : List.of("none", "x", "y")) { // out a fresh array, x's array or y's (fused chains)
                    long[] first = null;
                    double[] xs = x.clone(), ys = y.clone(), out = new double[n];
                    for (int run = 0; run < RUNS; run++) {
                        if (alias.equals("x")) System.arraycopy(x, 0, out = xs, 0, n);
                        if (alias.equals("y")) System.arraycopy(y, 0, out = ys, 0, n);
                        FloatLoops.binaryRange(name, ft, xs, ys, out, ElementwiseKernels.FLOAT_BINARY.get(name)).run(0, n);
                        if (first == null) {
                            first = bits(out);
                            assertBits(first, want, ft + " " + name + " out=" + alias + " first call");
                        } else if (!sameBits(out, first)) {
                            assertBits(bits(out), first, ft + " " + name + " out=" + alias + " run " + run);
                        }
                    }
                }
            }
        }
    }

    @Test
    void maxReductionsGiveTheFirstCallsBitsAfterWarmUp() {
        ScalarOp fast = ScalarOp.of(Ir.combiner("stablehlo.maximum", FloatType.F32), FloatType.F32);
        double[][] xy = operands();
        // rows of 15: reduceRuns' float loop (VectorReduce takes rows of 16 or more), eight rows at a time (rows
        // 0-135) then the tail (136-138), with or without the vector module (surefire loads it). Rows of 64:
        // VectorReduce when the vector module is loaded (as under surefire), else the same float loop.
        for (int len : new int[] {15, 64}) {
            int rows = xy[0].length / len;
            double[] x = java.util.Arrays.copyOf(xy[0], rows * len), init = new double[rows];
            if (len == 15) { // NaNs of x in tail rows (init -inf): the tail loop's redo must keep the first one, which
                x[137 * 15 + 4] = NAN_C; // Math.max once compiled does not (checked by hand: without the redo, row 137
                x[137 * 15 + 9] = NAN_B; // gives NAN_B's bits from about run 10,000)
                x[138 * 15 + 2] = NAN_A;
            }
            for (int o = 0; o < rows; o++) init[o] = o % 5 == 0 ? -0.0 : o % 7 == 3 ? NAN_B : Double.NEGATIVE_INFINITY;
            long[] want = new long[rows];
            for (int o = 0; o < rows; o++) {
                double a = init[o];
                for (int i = o * len; i < (o + 1) * len; i++) a = oracle(true, a, x[i]);
                want[o] = Double.doubleToRawLongBits(a);
            }
            long[] first = null;
            for (int run = 0; run < RUNS; run++) {
                double[] acc = init.clone();
                ReduceKernels.reduceRuns(fast, x, acc, len, 0, rows);
                if (first == null) {
                    first = bits(acc);
                    assertBits(first, want, "rows of " + len + " first call");
                } else if (!sameBits(acc, first)) {
                    assertBits(bits(acc), first, "rows of " + len + " run " + run);
                }
            }
        }
        // [outer 2, red, inner 1,100]: two column blocks (1,024 and 76) per outer index, NaNs in some columns; red 3
        // takes the per-element Floats.max loop, red 5 Math.max with the NaN columns redone (MAX_REDO_ROWS 4)
        for (int red : new int[] {3, 5}) columnMax(fast, xy[1], red);
    }

    private static void columnMax(ScalarOp fast, double[] values, int red) {
        int outer = 2, inner = 1100;
        double[] x = java.util.Arrays.copyOf(values, outer * red * inner), init = new double[outer * inner];
        for (int i = 0; i < x.length; i++) if (i % 997 == 0) x[i] = i % 2 == 0 ? NAN_A : NAN_B;
        x[inner + 7] = 0.0;
        x[2 * inner + 7] = -0.0;
        java.util.Arrays.fill(init, Double.NEGATIVE_INFINITY);
        init[7] = -0.0;
        init[9] = NAN_C;
        long[] want = new long[init.length];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                double a = init[o * inner + j];
                for (int r = 0; r < red; r++) a = oracle(true, a, x[(o * red + r) * inner + j]);
                want[o * inner + j] = Double.doubleToRawLongBits(a);
            }
        }
        long[] first = null;
        for (int run = 0; run < RUNS; run++) {
            double[] acc = init.clone();
            ReduceKernels.reduceBlock(fast, x, acc, outer, red, inner);
            if (first == null) {
                first = bits(acc);
                assertBits(first, want, red + " rows of columns, first call");
            } else if (!sameBits(acc, first)) {
                assertBits(bits(acc), first, red + " rows of columns, run " + run);
            }
        }
    }

    static long[] bits(double[] v) {
        long[] b = new long[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Double.doubleToRawLongBits(v[i]);
        return b;
    }

    static boolean sameBits(double[] v, long[] bits) {
        for (int i = 0; i < v.length; i++) if (Double.doubleToRawLongBits(v[i]) != bits[i]) return false;
        return true;
    }

    static void assertBits(long[] got, long[] want, String what) {
        for (int i = 0; i < want.length; i++) {
            assertThat(Long.toHexString(got[i])).as("%s, element %d", what, i).isEqualTo(Long.toHexString(want[i]));
        }
    }
}
