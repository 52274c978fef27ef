package io.hlo4j.dsl.shard;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.SourceLoc;

import java.util.ArrayList;
import java.util.List;

/**
 * Partition specs of MoE expert weights, as EasyDeL's {@code get_moe_partition_spec}: column kernels
 * {@code [E, H, M]} shard {@code (X, None, tp)}, row kernels {@code [E, M, H]} {@code (X, tp, None)}, biases
 * {@code (X, tp)}; in expert-tensor mode {@code (tp, None, None)} / {@code (tp, None)}. X, the expert
 * placement, is {@code ep}, or with {@code moduleView} the axes bound to ep, in EasyDeL's order
 * {@code (ep, sp, fsdp)}. On the 3D expert mesh use {@link #onExpertMesh} instead, where X is {@code expert}.
 */
public final class MoePartitionSpecs {
    private MoePartitionSpecs() {}

    public enum Direction { ROW, COLUMN }

    public static Direction direction(String d) {
        return switch (d) {
            case "row" -> Direction.ROW;
            case "column" -> Direction.COLUMN;
            default -> throw new DslException("MoePartitionSpecs", "direction must be \"row\" or \"column\", got \"" + d + "\"", SourceLoc.here());
        };
    }

    /** The spec on the 5D model mesh (axis names dp, fsdp, ep, tp, sp). */
    public static PartitionSpec get(Direction direction, boolean tensorsAreExpert, boolean isBias, boolean fsdpIsEpBound,
                                    boolean spIsEpBound, boolean moduleView) {
        List<String> x = new ArrayList<>(List.of("ep"));
        if (moduleView && spIsEpBound) x.add("sp");
        if (moduleView && fsdpIsEpBound) x.add("fsdp");
        return build(direction, tensorsAreExpert, isBias, x);
    }

    /** EasyDeL's defaults: both axes bound, no module view (so X = ep). */
    public static PartitionSpec get(Direction direction, boolean tensorsAreExpert, boolean isBias) {
        return get(direction, tensorsAreExpert, isBias, true, true, false);
    }

    /** The spec on the 3D expert mesh (dp, expert, tp): X = expert. */
    public static PartitionSpec onExpertMesh(Direction direction, boolean tensorsAreExpert, boolean isBias) {
        return build(direction, tensorsAreExpert, isBias, List.of("expert"));
    }

    private static PartitionSpec build(Direction direction, boolean tensorsAreExpert, boolean isBias, List<String> x) {
        Object xs = x.size() == 1 ? x.get(0) : x;
        if (tensorsAreExpert) return isBias ? PartitionSpec.of("tp", null) : PartitionSpec.of("tp", null, null);
        if (isBias) return PartitionSpec.of(xs, "tp");
        return direction == Direction.COLUMN ? PartitionSpec.of(xs, null, "tp") : PartitionSpec.of(xs, "tp", null);
    }
}
