package io.hlo4j.dsl.moe;

/** {@link ParallelMoELinear} in the column direction (wi, wu: [E, H, M] sharded on its output). */
public final class ColumnParallelMoELinear extends ParallelMoELinear {
    public ColumnParallelMoELinear(int numExperts, int inFeatures, int outFeatures, boolean useBias, boolean outFirst) {
        super(numExperts, inFeatures, outFeatures, useBias, outFirst, MoeSpecs.Direction.COLUMN);
    }
}
