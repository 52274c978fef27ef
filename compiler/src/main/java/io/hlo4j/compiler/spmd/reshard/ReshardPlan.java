package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;
import java.util.List;

/**
 * How a value of {@code global} type moves from sharding {@code from} to {@code to} on {@code mesh}: the steps in
 * order (each on local blocks), the bytes each device receives, and the analytic lower bound per device (what it
 * needs for its target block that it does not already hold). An empty plan moves nothing.
 */
public record ReshardPlan(MeshAttr mesh, TensorType global, TensorSharding from, TensorSharding to, List<ReshardStep> steps,
                          long[] lowerBoundPerDevice) {
    public ReshardPlan {
        steps = List.copyOf(steps);
        lowerBoundPerDevice = lowerBoundPerDevice.clone();
    }

    public int devices() { return lowerBoundPerDevice.length; }

    /** Bytes each device receives over the whole plan. */
    public long[] bytesPerDevice() {
        long[] total = new long[devices()];
        for (ReshardStep s : steps) for (int d = 0; d < total.length; d++) total[d] += s.bytesPerDevice()[d];
        return total;
    }

    /** The most any one device receives: the plan's cost. */
    public long maxBytes() { return Arrays.stream(bytesPerDevice()).max().orElse(0); }

    /** The most any one device must receive in any plan (max over devices of the per-device bound). */
    public long lowerBoundBytes() { return Arrays.stream(lowerBoundPerDevice).max().orElse(0); }

    /** The local block type before the first step. */
    public TensorType localInput() { return ReshardPlanner.localType(mesh, global, from); }

    /** The local block type after the last step. */
    public TensorType localOutput() { return ReshardPlanner.localType(mesh, global, to); }

    /** The largest per-device block the plan holds before or after any step, in bytes (what the memory cap bounds). */
    public long peakBlockBytes() {
        long peak = Math.max(bytes(localInput()), bytes(localOutput()));
        for (ReshardStep s : steps) peak = Math.max(peak, Math.max(bytes(s.input()), bytes(s.output())));
        return peak;
    }

    /** A tensor's bytes (the planner's unit for blocks and caps). */
    static long bytes(TensorType t) { return t.numElements() * t.elementType().storageBytes(); }

    public boolean isEmpty() { return steps.isEmpty(); }

    /** Collectives the plan emits (each exchange round is one collective_permute; local slices are none). */
    public int collectives() { return steps.stream().mapToInt(ReshardStep::collectives).sum(); }

    /** The busiest device's bytes of each collective, summed over the collectives (they run one after another). */
    public long busiestBytesPerCollective() { return steps.stream().mapToLong(ReshardStep::busiestBytesPerCollective).sum(); }

    /** The plan's time under {@code cost}: alpha per collective plus each collective's busiest bytes over beta. */
    public double estimatedSeconds(ReshardCost cost) { return cost.seconds(this); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("reshard " + global + " " + from.body() + " -> " + to.body() + " on " + mesh.body()
                + ": " + maxBytes() + " B/device (lower bound " + lowerBoundBytes() + ")");
        for (ReshardStep s : steps) sb.append("\n  ").append(s).append("  [").append(s.maxBytes()).append(" B]");
        return sb.toString();
    }
}
