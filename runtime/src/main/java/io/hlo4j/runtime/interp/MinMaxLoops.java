package io.hlo4j.runtime.interp;

/**
 * Element-wise {@code maximum} / {@code minimum} over float arrays with exactly {@link Floats#max}/{@link Floats#min}
 * per element (the first NaN operand kept bit for bit), at about the speed of a plain {@link Math#max} loop.
 *
 * <p>Per element, {@code Floats.max} tests its result for NaN, a branch that keeps C2 from vectorising the loop. Here
 * each block of {@link #BLOCK} elements runs the plain {@code Math.max} loop, which C2 vectorises and which equals
 * {@code Floats.max} wherever its result is not NaN (both order -0.0 below +0.0). The same loop folds one integer per
 * element into a flag with {@code |}: {@code (int) (|m| + 1) - 1}, which is {@code -1} for a NaN and {@code >= 0}
 * otherwise (the conversion of a NaN is 0; of an infinity, {@code Integer.MAX_VALUE}). Only a block whose flag is
 * negative is computed again, element by element, with {@code Floats.max}. When the output is an operand's array
 * (a fused chain writing in place), the plain loop would overwrite the NaN to keep, so the operands of each block are
 * tested first, by a loop of the same kind, and a block with a NaN goes straight to {@code Floats.max}.
 */
final class MinMaxLoops {
    private MinMaxLoops() {}

    /** Elements per block: the flag is tested once per block; a block with a NaN is computed element by element. */
    static final int BLOCK = 1024;

    /**
     * {@code out[i] = Floats.max(x[i], y[i])} ({@code max}) or {@code Floats.min(x[i], y[i])}, rounded to f32 when
     * {@code f32}, for i in [lo, hi). {@code out} may be {@code x} or {@code y}.
     */
    static void binary(boolean max, boolean f32, double[] x, double[] y, double[] out, int lo, int hi) {
        boolean inPlace = out == x || out == y;
        for (int b = lo; b < hi; b += BLOCK) {
            int e = Math.min(hi, b + BLOCK);
            if (!inPlace || nanFlag(x, y, b, e) >= 0) {
                int flag = max ? (f32 ? maxF32(x, y, out, b, e) : maxF64(x, y, out, b, e))
                        : (f32 ? minF32(x, y, out, b, e) : minF64(x, y, out, b, e));
                if (flag >= 0) continue;
            }
            for (int i = b; i < e; i++) {
                double r = max ? Floats.max(x[i], y[i]) : Floats.min(x[i], y[i]);
                out[i] = f32 ? (float) r : r;
            }
        }
    }

    /** Negative when x or y has a NaN in [b, e) (|x| + |y| is NaN exactly then). */
    private static int nanFlag(double[] x, double[] y, int b, int e) {
        int flag = 0;
        for (int i = b; i < e; i++) flag |= (int) (Math.abs(x[i]) + Math.abs(y[i]) + 1.0) - 1;
        return flag;
    }

    // One loop per case, each without a branch in its body: C2 vectorises them (a flag of 0 or more: no NaN).

    private static int maxF32(double[] x, double[] y, double[] out, int b, int e) {
        int flag = 0;
        for (int i = b; i < e; i++) {
            double m = Math.max(x[i], y[i]);
            out[i] = (float) m;
            flag |= (int) (Math.abs(m) + 1.0) - 1;
        }
        return flag;
    }

    private static int minF32(double[] x, double[] y, double[] out, int b, int e) {
        int flag = 0;
        for (int i = b; i < e; i++) {
            double m = Math.min(x[i], y[i]);
            out[i] = (float) m;
            flag |= (int) (Math.abs(m) + 1.0) - 1;
        }
        return flag;
    }

    private static int maxF64(double[] x, double[] y, double[] out, int b, int e) {
        int flag = 0;
        for (int i = b; i < e; i++) {
            double m = Math.max(x[i], y[i]);
            out[i] = m;
            flag |= (int) (Math.abs(m) + 1.0) - 1;
        }
        return flag;
    }

    private static int minF64(double[] x, double[] y, double[] out, int b, int e) {
        int flag = 0;
        for (int i = b; i < e; i++) {
            double m = Math.min(x[i], y[i]);
            out[i] = m;
            flag |= (int) (Math.abs(m) + 1.0) - 1;
        }
        return flag;
    }
}
