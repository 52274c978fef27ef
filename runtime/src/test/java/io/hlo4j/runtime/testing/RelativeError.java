package io.hlo4j.runtime.testing;

import io.hlo4j.runtime.array.HostArray;

/**
 * The relative error the journey tests compare against an oracle with (StandardMoePartitionTest keeps its own: it
 * also checks the types and gives the absolute difference against an all-zero oracle).
 */
public final class RelativeError {
    private RelativeError() {}

    /**
     * max |got - want| / max |want| over all elements; an AssertionError when the lengths differ or the oracle is all
     * zero (a relative error against zeros says nothing).
     */
    public static double relErr(HostArray got, HostArray want) {
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        if (g.length != w.length) throw new AssertionError("lengths " + g.length + " vs " + w.length);
        double scale = 0, diff = 0;
        for (int i = 0; i < w.length; i++) {
            scale = Math.max(scale, Math.abs(w[i]));
            diff = Math.max(diff, Math.abs(g[i] - w[i]));
        }
        if (scale == 0) throw new AssertionError("oracle is all zero");
        return diff / scale;
    }
}
