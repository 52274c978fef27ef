package io.hlo4j.dsl.moe;

/** {@link ParallelMoELinear} in the row direction (wd: [E, M, H] sharded on its input). */
public final class RowParallelMoELinear extends ParallelMoELinear {
    public RowParallelMoELinear(int numExperts, int inFeatures, int outFeatures, boolean useBias, boolean outFirst) {
        super(numExperts, inFeatures, outFeatures, useBias, outFirst, MoeSpecs.Direction.ROW);
    }
}
