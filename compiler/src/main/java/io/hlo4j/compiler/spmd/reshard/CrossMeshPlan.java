package io.hlo4j.compiler.spmd.reshard;

import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A move of a value from {@code from} on {@code fromMesh} to {@code to} on {@code toMesh} (two meshes over the same
 * devices) in three parts: {@code before}, a plan on the source mesh to an intermediate sharding; {@code cross}, the
 * one step between the meshes (null where both intermediates give every device the same block, a
 * {@link ReshardStep.CollectivePermute} where they cut the value into the same blocks held by other devices, else a
 * {@link ReshardStep.Exchange} of common cells); {@code after}, a plan on the target mesh (a free local slice: the
 * search only takes intermediates the target refines). The old two ways are its extremes: the exchange alone
 * ({@code before} and {@code after} empty), and gathering whole on the source mesh and slicing on the target.
 * All steps are on partition ids, so {@link #emit} needs neither mesh.
 */
public record CrossMeshPlan(MeshAttr fromMesh, TensorSharding from, MeshAttr toMesh, TensorSharding to, TensorType global,
                            ReshardPlan before, ReshardStep cross, ReshardPlan after) {

    /** What the plan is: the exchange alone, a gather on the source mesh and a slice on the target, or a mix. */
    public enum Kind { EXCHANGE, GATHER_AND_SLICE, MIXED }

    public List<ReshardStep> steps() {
        List<ReshardStep> out = new ArrayList<>(before.steps());
        if (cross != null) out.add(cross);
        out.addAll(after.steps());
        return out;
    }

    public Kind kind() {
        if (before.isEmpty() && after.steps().stream().allMatch(s -> s instanceof ReshardStep.LocalSlice) && cross instanceof ReshardStep.Exchange) {
            return after.isEmpty() ? Kind.EXCHANGE : Kind.MIXED;
        }
        boolean wholeBetween = cross == null && before.to().dimShardings().stream().allMatch(d -> d.axes().isEmpty())
                && after.steps().stream().allMatch(s -> s instanceof ReshardStep.LocalSlice);
        return wholeBetween ? Kind.GATHER_AND_SLICE : Kind.MIXED;
    }

    public int devices() { return before.devices(); }

    /** Bytes each device receives over the whole move. */
    public long[] bytesPerDevice() {
        long[] total = new long[devices()];
        for (ReshardStep s : steps()) for (int d = 0; d < total.length; d++) total[d] += s.bytesPerDevice()[d];
        return total;
    }

    /** The busiest device's bytes. */
    public long maxBytes() { return Arrays.stream(bytesPerDevice()).max().orElse(0); }

    /** Collectives emitted (an exchange counts one per round that moves a cell). */
    public int collectives() { return steps().stream().mapToInt(ReshardStep::collectives).sum(); }

    /** The busiest device's bytes of each collective, summed over the collectives. */
    public long busiestBytesPerCollective() { return steps().stream().mapToLong(ReshardStep::busiestBytesPerCollective).sum(); }

    /** The largest per-device block held before or after any step, in bytes. */
    public long peakBlockBytes() {
        long peak = Math.max(before.peakBlockBytes(), after.peakBlockBytes());
        if (cross != null) peak = Math.max(peak, Math.max(ReshardPlan.bytes(cross.input()), ReshardPlan.bytes(cross.output())));
        return peak;
    }

    /** The modeled time under {@code cost}: alpha per collective plus each collective's busiest bytes over beta. */
    public double estimatedSeconds(ReshardCost cost) { return cost.seconds(collectives(), busiestBytesPerCollective()); }

    /** The planner's exact cost in latency-bytes under {@code cost} (what plans are compared by). */
    public long latencyByteCost(ReshardCost cost) { return cost.latencyByteCost(collectives(), busiestBytesPerCollective()); }

    /** The local block before the first step. */
    public TensorType localInput() { return before.localInput(); }

    /** The local block after the last step. */
    public TensorType localOutput() { return after.localOutput(); }

    /** Emits the steps on {@code local} (a block of {@code from}) and returns the block of {@code to}. */
    public Value emit(IrBuilder b, Value local, LongSupplier channels, Location loc) {
        if (!local.type().equals(localInput())) {
            throw new ReshardException("cross-mesh move " + from + " -> " + to + " of " + global + " expects a local block " + localInput()
                    + " but got " + local.type(), loc);
        }
        return ReshardEmitter.emitSteps(steps(), b, local, channels, loc);
    }

    /** One line per step with its busiest device's bytes, under a header with the kind, the bytes and the time. */
    public String describe(ReshardCost cost) {
        StringBuilder sb = new StringBuilder("cross-mesh " + kind().name().toLowerCase().replace('_', ' ') + " " + global + " " + from.body()
                + " on " + fromMesh.body() + " -> " + to.body() + " on " + toMesh.body() + ": " + maxBytes() + " B/device, "
                + collectives() + " collective(s), " + String.format("%.3f us", estimatedSeconds(cost) * 1e6));
        for (ReshardStep s : before.steps()) sb.append("\n  @").append(from.meshName()).append(": ").append(s).append("  [").append(s.maxBytes()).append(" B]");
        if (cross != null) sb.append("\n  @").append(from.meshName()).append(" -> @").append(to.meshName()).append(": ").append(cross)
                .append("  [").append(cross.maxBytes()).append(" B]");
        for (ReshardStep s : after.steps()) sb.append("\n  @").append(to.meshName()).append(": ").append(s).append("  [").append(s.maxBytes()).append(" B]");
        return sb.toString();
    }

    @Override public String toString() { return describe(ReshardCost.DEFAULT); }
}
