package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.shard.PartitionSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * Partition specs of stacked expert weights (easydel-moe-behavior.md section 6.3, normative via
 * moe-semantics.md): column kernels [E, H, M] -> (X, None, tp), row kernels [E, M, H] -> (X, tp, None),
 * biases [E, out] -> (X, tp) for either direction, expert-tensor mode -> (tp, None, None) / (tp, None).
 * X is the ep axis, or with {@code moduleView} the axes folded into the expert axis; on the 3D expert mesh
 * ({@link #onExpertMesh}) it is {@code expert}.
 */
public final class MoeSpecs {
    /** Which projection a stacked weight belongs to. */
    public enum Direction {
        /** wi / wu, [E, H, M]: output dimension split on tp. */
        COLUMN("column"),
        /** wd, [E, M, H]: contraction dimension split on tp. */
        ROW("row");

        private final String value;

        Direction(String value) {
            this.value = value;
        }

        public String value() { return value; }

        /** "row" or "column"; anything else is an error naming it. */
        public static Direction fromValue(String value) {
            for (Direction d : values()) {
                if (d.value.equals(value)) return d;
            }
            throw new MoeException("get_moe_partition_spec: direction must be 'row' or 'column', got '" + value + "'");
        }
    }

    private MoeSpecs() {}

    /** {@code get_moe_partition_spec} with default axis names. */
    public static PartitionSpec getMoePartitionSpec(Direction direction, boolean tensorsAreExpert, boolean isBias,
            boolean fsdpIsEpBound, boolean spIsEpBound, boolean moduleView) {
        return getMoePartitionSpec(MeshAxisNames.DEFAULT, direction, tensorsAreExpert, isBias, fsdpIsEpBound,
                spIsEpBound, moduleView);
    }

    /** {@code get_moe_partition_spec} with a direction string, checked like the seed ("row" or "column"). */
    public static PartitionSpec getMoePartitionSpec(String direction, boolean tensorsAreExpert, boolean isBias,
            boolean fsdpIsEpBound, boolean spIsEpBound, boolean moduleView) {
        return getMoePartitionSpec(Direction.fromValue(direction), tensorsAreExpert, isBias, fsdpIsEpBound,
                spIsEpBound, moduleView);
    }

    public static PartitionSpec getMoePartitionSpec(MeshAxisNames axes, Direction direction,
            boolean tensorsAreExpert, boolean isBias, boolean fsdpIsEpBound, boolean spIsEpBound,
            boolean moduleView) {
        if (direction == null) {
            throw new MoeException("get_moe_partition_spec: direction must be 'row' or 'column', got null");
        }
        if (tensorsAreExpert) {
            return isBias ? PartitionSpec.of(axes.tp(), null) : PartitionSpec.of(axes.tp(), null, null);
        }
        return placed(direction, isBias, expertAxes(axes, fsdpIsEpBound, spIsEpBound, moduleView), axes.tp());
    }

    /** The spec on the 3D expert mesh (dp, expert, tp): X = {@code expert}; expert-tensor mode as above. */
    public static PartitionSpec onExpertMesh(Direction direction, boolean tensorsAreExpert, boolean isBias) {
        if (direction == null) {
            throw new MoeException("get_moe_partition_spec: direction must be 'row' or 'column', got null");
        }
        if (tensorsAreExpert) return isBias ? PartitionSpec.of("tp", null) : PartitionSpec.of("tp", null, null);
        return placed(direction, isBias, List.of("expert"), "tp");
    }

    private static PartitionSpec placed(Direction direction, boolean isBias, List<String> x, String tp) {
        if (isBias) return PartitionSpec.of(x, tp);
        return direction == Direction.COLUMN ? PartitionSpec.of(x, null, tp) : PartitionSpec.of(x, tp, null);
    }

    /** {@code BaseMoeModule.get_moe_spec}: module_view is always false there, so the bound flags do not matter. */
    public static PartitionSpec getMoeSpec(Direction direction, boolean tensorsAreExpert, boolean isBias) {
        return getMoePartitionSpec(direction, tensorsAreExpert, isBias, true, true, false);
    }

    public static PartitionSpec getMoeSpec(String direction, boolean tensorsAreExpert, boolean isBias) {
        return getMoeSpec(Direction.fromValue(direction), tensorsAreExpert, isBias);
    }

    /** X: ep alone, or in module view ep followed by the bound axes in the seed's order (ep, sp, fsdp). */
    static List<String> expertAxes(MeshAxisNames axes, boolean fsdpIsEpBound, boolean spIsEpBound, boolean moduleView) {
        List<String> x = new ArrayList<>(List.of(axes.ep()));
        if (moduleView) {
            if (spIsEpBound) x.add(axes.sp());
            if (fsdpIsEpBound) x.add(axes.fsdp());
        }
        return x;
    }
}
