package io.hlo4j.runtime.interp;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * f32 {@code exponential} and {@code logistic} over double lanes ({@code jdk.incubator.vector}): the vector EXP has
 * the accuracy contract of {@link Math#exp} (within 1 ulp of the exact double result), and each result is rounded
 * once to f32, as the scalar loop does. Only loaded when the module is in the boot layer ({@link DotKernels#VECTOR}).
 */
final class VectorExp {
    private VectorExp() {}

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    /** out[i] = (float) exp(in[i]) for i in [lo, hi). */
    static void expF32(double[] in, double[] out, int lo, int hi) {
        int i = lo, end = lo + S.loopBound(hi - lo);
        for (; i < end; i += S.length()) DoubleVector.fromArray(S, in, i).lanewise(VectorOperators.EXP).intoArray(out, i);
        for (; i < hi; i++) out[i] = Math.exp(in[i]);
        for (i = lo; i < hi; i++) out[i] = (float) out[i];
    }

    /** out[i] = (float) (1 / (1 + exp(-in[i]))) for i in [lo, hi). */
    static void logisticF32(double[] in, double[] out, int lo, int hi) {
        int i = lo, end = lo + S.loopBound(hi - lo);
        for (; i < end; i += S.length()) {
            DoubleVector e = DoubleVector.fromArray(S, in, i).neg().lanewise(VectorOperators.EXP);
            DoubleVector.broadcast(S, 1.0).div(e.add(1.0)).intoArray(out, i);
        }
        for (; i < hi; i++) out[i] = 1.0 / (1.0 + Math.exp(-in[i]));
        for (i = lo; i < hi; i++) out[i] = (float) out[i];
    }
}
