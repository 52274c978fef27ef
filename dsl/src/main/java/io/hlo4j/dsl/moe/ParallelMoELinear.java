package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.SourceLoc;
import io.hlo4j.dsl.Tensor;

/**
 * A stacked expert linear (easydel-moe-behavior.md section 8): kernel [E, in, out], or [E, out, in] when
 * {@code outFirst}; bias always [E, out]. Applied to expert-sorted rows [R, in] with group sizes [E] as a grouped
 * matmul ({@code raggedDot}); rows past the groups give zeros. Row and column variants differ only in the
 * direction their partition specs use. Unlike EasyDeL (bf16 output always), the result has the inputs' dtype.
 */
public class ParallelMoELinear {
    private final int numExperts;
    private final int inFeatures;
    private final int outFeatures;
    private final boolean useBias;
    private final boolean outFirst;
    private final MoeSpecs.Direction direction;

    public ParallelMoELinear(int numExperts, int inFeatures, int outFeatures, boolean useBias, boolean outFirst,
                             MoeSpecs.Direction direction) {
        if (numExperts < 1 || inFeatures < 1 || outFeatures < 1) {
            throw new MoeException("ParallelMoELinear: sizes must be positive, got experts " + numExperts + ", in " + inFeatures
                    + ", out " + outFeatures);
        }
        this.numExperts = numExperts;
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.useBias = useBias;
        this.outFirst = outFirst;
        this.direction = direction;
    }

    public long[] kernelShape() {
        return outFirst ? new long[]{numExperts, outFeatures, inFeatures} : new long[]{numExperts, inFeatures, outFeatures};
    }

    public long[] biasShape() { return new long[]{numExperts, outFeatures}; }

    public boolean useBias() { return useBias; }

    /** The kernel's partition spec (section 6.3); needs a direction (Row/Column variants set one). */
    public PartitionSpec kernelSpec(boolean tensorsAreExpert) { return MoeSpecs.getMoeSpec(requireDirection(), tensorsAreExpert, false); }

    public PartitionSpec biasSpec(boolean tensorsAreExpert) { return MoeSpecs.getMoeSpec(requireDirection(), tensorsAreExpert, true); }

    /**
     * @param inputs expert-sorted rows [R, in]
     * @param groupSizes rows per expert [E] (integers)
     * @param sortedExperts the expert of each row [R], or null (then derived from the group sizes)
     * @param kernel {@link #kernelShape()}
     * @param bias {@link #biasShape()}, required exactly when {@code useBias}
     */
    public Tensor apply(Tensor inputs, Tensor groupSizes, Tensor sortedExperts, Tensor kernel, Tensor bias) {
        String me = getClass().getSimpleName();
        if (!java.util.Arrays.equals(kernel.dims(), kernelShape())) {
            throw new MoeException(me + ": kernel " + kernel.describe() + " must be " + java.util.Arrays.toString(kernelShape()), SourceLoc.here());
        }
        if (inputs.rank() != 2 || inputs.dim(1) != inFeatures) {
            throw new MoeException(me + ": inputs " + inputs.describe() + " must be [rows, " + inFeatures + "]", SourceLoc.here());
        }
        if (useBias != (bias != null) || (bias != null && !java.util.Arrays.equals(bias.dims(), biasShape()))) {
            throw new MoeException(me + ": use_bias is " + useBias + " and the bias must be " + (useBias ? java.util.Arrays.toString(biasShape()) : "absent")
                    + ", got " + (bias == null ? "none" : bias.describe()), SourceLoc.here());
        }
        Tensor w = kernel.astype(inputs.dtype());
        if (outFirst) w = w.transpose(0, 2, 1);
        Tensor out = Linalg.raggedDot(inputs, w, groupSizes.astype(DType.I32), null);
        if (!useBias) return out;
        long rows = inputs.dim(0);
        Tensor ids = sortedExperts != null ? sortedExperts.astype(DType.I32) : expertOfRow(groupSizes.astype(DType.I32), rows);
        Tensor inRange = Ops.logicalAnd(Ops.ge(ids, ExpertFfn.fullI32(ids, 0)), Ops.lt(ids, ExpertFfn.fullI32(ids, numExperts)));
        Tensor b = Indexing.takeInBounds(bias.astype(inputs.dtype()), ExpertFfn.clampIds(ids, numExperts), 0);
        return Ops.add(out, Ops.where(inRange.reshape(rows, 1).broadcastTo(b.dims()), b, 0.0));
    }

    /** Row r belongs to the number of groups that end at or before it (E for rows past every group). */
    static Tensor expertOfRow(Tensor groupSizes, long rows) {
        long g = groupSizes.dim(0);
        Tensor ends = Reductions.cumsum(groupSizes, 0).reshape(1, g).broadcastTo(rows, g);
        Tensor r = Ops.iota(DType.I32, io.hlo4j.dsl.Shape.of(rows, g), 0);
        return Reductions.sum(Ops.ge(r, ends).astype(DType.I32), 1);
    }

    private MoeSpecs.Direction requireDirection() {
        if (direction == null) throw new MoeException(getClass().getSimpleName() + ": no direction (use the Row or Column variant)");
        return direction;
    }
}
