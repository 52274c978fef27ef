package io.hlo4j.runtime.interp;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code maximum} and {@code minimum} over a contiguous run in vector lanes ({@code jdk.incubator.vector}). Both
 * are exact and, for values that are not NaN, independent of the order of combination ({@link Math#max} orders
 * -0.0 below +0.0 whatever the order), so lanes give the sequential loop's result. Which NaN the sequential
 * loop returns depends on the order, so a run whose result is NaN is redone in order. Only loaded when the
 * module is in the boot layer ({@link DotKernels#VECTOR}).
 */
final class VectorReduce {
    private VectorReduce() {}

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    /** {@code Floats.max(... Floats.max(init, x[from]) ..., x[from + len - 1])}. */
    static double max(double[] x, int from, int len, double init) {
        DoubleVector m = DoubleVector.broadcast(S, init);
        int i = 0, end = S.loopBound(len);
        for (; i < end; i += S.length()) m = m.max(DoubleVector.fromArray(S, x, from + i));
        double r = m.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) r = Math.max(r, x[from + i]);
        if (r != r) {
            r = init;
            for (i = 0; i < len; i++) r = Floats.max(r, x[from + i]);
        }
        return r;
    }

    /** {@code Floats.min(... Floats.min(init, x[from]) ..., x[from + len - 1])}. */
    static double min(double[] x, int from, int len, double init) {
        DoubleVector m = DoubleVector.broadcast(S, init);
        int i = 0, end = S.loopBound(len);
        for (; i < end; i += S.length()) m = m.min(DoubleVector.fromArray(S, x, from + i));
        double r = m.reduceLanes(VectorOperators.MIN);
        for (; i < len; i++) r = Math.min(r, x[from + i]);
        if (r != r) {
            r = init;
            for (i = 0; i < len; i++) r = Floats.min(r, x[from + i]);
        }
        return r;
    }
}
