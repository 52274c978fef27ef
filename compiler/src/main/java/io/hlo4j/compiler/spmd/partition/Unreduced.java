package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Operation;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Values held unreduced ({@code unreduced={"x"}}): each device holds a term of a pending reduction (sum, max or
 * min) over those axes, and the value is what that reduction gives. The partitioner keeps such a value partial
 * only where the result stays exact: an op whose local form commutes with the pending reduction, or an op that
 * itself leaves partial results over those axes (a dot_general or add-reduce split along its contracting
 * dimension). Everything else gets its operands reduced first (the reshard planner's all_reduce / reduce_scatter).
 */
final class Unreduced {
    private Unreduced() {}

    /**
     * Element-wise ops that are linear in every operand, so sum over devices commutes with them: the sum of
     * a_i + b_i is sum(a) + sum(b), likewise for subtract and negate. Nothing else: convert rounds each term
     * (sum of rounded terms is not the rounded sum), multiply of two partial values is not their product, and
     * max/min pending reductions commute with none of these (negate turns a max into a min).
     */
    private static final Set<String> LINEAR = Set.of("stablehlo.add", "stablehlo.subtract", "stablehlo.negate");

    /** Whether {@code op} may run on terms unreduced over {@code target}'s unreduced axes, every operand held so. */
    static boolean keepsThrough(Operation op, TensorSharding target, List<TensorSharding> operands) {
        if (target.unreducedAxes().isEmpty() || !target.reduction().equals("sum") || !LINEAR.contains(op.name())) return false;
        for (TensorSharding s : operands) if (!sameAxes(s, target)) return false;
        return true;
    }

    /** Equal unreduced axis sets with equal pending reductions (or both fully reduced). */
    static boolean sameAxes(TensorSharding a, TensorSharding b) {
        if (a.unreducedAxes().isEmpty() && b.unreducedAxes().isEmpty()) return true;
        return new HashSet<>(a.unreducedAxes()).equals(new HashSet<>(b.unreducedAxes())) && a.reduction().equals(b.reduction());
    }

    /**
     * The pending reduction an op's own partial results carry over its sharded reduction factors: sum for a dot
     * (and ragged dot), the body's combiner for a reduce of add, maximum or minimum; null where none fits a sharding.
     */
    static String partialKind(Operation op) {
        return switch (op.name()) {
            case "stablehlo.dot_general", "chlo.ragged_dot", "stablehlo.convolution" -> "sum";
            case "stablehlo.reduce" -> switch (String.valueOf(LocalOps.combiner(op))) {
                case "stablehlo.add" -> "sum";
                case "stablehlo.maximum" -> "max";
                case "stablehlo.minimum" -> "min";
                default -> null;
            };
            default -> null;
        };
    }

    /** The partial axes the result may keep unreduced: those {@code target} holds unreduced, with a matching reduction. */
    static List<AxisRef> kept(Operation op, TensorSharding target, List<AxisRef> partial) {
        if (target.unreducedAxes().isEmpty() || !target.reduction().equals(partialKind(op))) return List.of();
        List<AxisRef> out = new ArrayList<>();
        for (AxisRef a : partial) if (target.unreducedAxes().contains(a)) out.add(a);
        return out;
    }

    /** {@code s} with {@code axes} unreduced under {@code reduction}. */
    static TensorSharding with(TensorSharding s, List<AxisRef> axes, String reduction) {
        return new TensorSharding(s.meshName(), s.inlineMesh(), s.dimShardings(), s.replicatedAxes(), axes, reduction);
    }
}
