package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.check.OpSupport.expectNoRegions;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectOperands;
import static io.hlo4j.mlir.dialect.check.OpSupport.expectResults;
import static io.hlo4j.mlir.dialect.check.OpSupport.fail;
import static io.hlo4j.mlir.dialect.check.OpSupport.isInteger;
import static io.hlo4j.mlir.dialect.check.OpSupport.optional;
import static io.hlo4j.mlir.dialect.check.OpSupport.required;
import static io.hlo4j.mlir.dialect.check.OpSupport.tensor;

/**
 * {@code "chlo.ragged_dot"(%lhs, %rhs, %group_sizes) {ragged_dot_dimension_numbers = #chlo.ragged_dot<...>,
 * precision_config = [...]}}: a dot_general whose lhs ragged dimension is split into groups of the given
 * sizes. Generic form only. Three modes, by what the lhs ragged dimension is:
 * <ul>
 *   <li>non-contracting (m): {@code [b,m,k] x [g,b,k,n] -> [b,m,n]}, one rhs group dimension of size g;</li>
 *   <li>contracting (k): {@code [b,m,k] x [b,k,n] -> [g,b,m,n]}, no rhs group dimension;</li>
 *   <li>batch (b): {@code [b,m,k] x [b,k,n] -> [b,m,n]}, no rhs group dimension.</li>
 * </ul>
 * group_sizes is {@code [g]} or {@code [b..., x..., g]} (batch dims before the ragged one, then the
 * non-contracting (mode 1) or contracting (mode 2) dims before it).
 */
public final class ChloRaggedDotOp {
    private ChloRaggedDotOp() {}

    public static final String NAME = "chlo.ragged_dot";

    /** Which kind of lhs dimension is ragged. */
    public enum Mode { NON_CONTRACTING, CONTRACTING, BATCH }

    static void register(OpRegistry r) {
        r.register(OpDef.builder(NAME).summary("dot_general with a ragged lhs dimension split into groups")
                .inherent("ragged_dot_dimension_numbers", "precision_config").syntax(OpSyntax.GENERIC)
                .verifier(ChloRaggedDotOp::verify)
                .inference((operands, props, regions) -> {
                    if (operands.size() != 3) throw error(null, "expects 3 operands, got " + operands.size());
                    if (!(props.get("ragged_dot_dimension_numbers") instanceof RaggedDotDimensionNumbers dn)) {
                        throw error(null, "requires attribute 'ragged_dot_dimension_numbers' (a #chlo.ragged_dot<...>), got "
                                + props.get("ragged_dot_dimension_numbers"));
                    }
                    TensorType lhs = ChloShapes.tensor(NAME, operands, 0, "lhs"), rhs = ChloShapes.tensor(NAME, operands, 1, "rhs");
                    long[] shape = inferShape(null, lhs, rhs, ChloShapes.tensor(NAME, operands, 2, "group_sizes"), dn);
                    return List.of(TensorType.of(lhs.elementType(), shape));
                }).build());
    }

    public static RaggedDotDimensionNumbers dimensionNumbers(Operation op) {
        return required(op, "ragged_dot_dimension_numbers", RaggedDotDimensionNumbers.class, "a #chlo.ragged_dot<...>");
    }

    public static Mode mode(RaggedDotDimensionNumbers dn) {
        long ragged = dn.lhsRaggedDimensions().get(0);
        if (dn.lhsBatchingDimensions().contains(ragged)) return Mode.BATCH;
        if (dn.lhsContractingDimensions().contains(ragged)) return Mode.CONTRACTING;
        return Mode.NON_CONTRACTING;
    }

    private static void verify(Operation op) {
        expectOperands(op, 3);
        expectResults(op, 1);
        expectNoRegions(op);
        TensorType lhs = tensor(op, op.operand(0), "lhs");
        TensorType rhs = tensor(op, op.operand(1), "rhs");
        TensorType groups = tensor(op, op.operand(2), "group_sizes");
        RaggedDotDimensionNumbers dn = dimensionNumbers(op);
        ArrayAttr precision = optional(op, "precision_config", ArrayAttr.class, "an array of #chlo<precision ...>");
        if (precision != null) {
            if (precision.size() > 2) {
                throw fail(op, "expects precision config to be empty or have <= 2 elements, got " + precision.size());
            }
            for (Attribute a : precision.elements()) {
                if (!(a instanceof ChloEnumAttr e) || !e.kind().equals(ChloEnumAttr.PRECISION)) {
                    throw fail(op, "precision_config entries must be #chlo<precision ...>, got " + a);
                }
            }
        }
        long[] shape = inferShape(op, lhs, rhs, groups, dn);
        TensorType result = tensor(op, op.result(0).type(), "result");
        if (!ChloShapes.compatibleShapes(shape, result.shape())) {
            throw fail(op, "inferred shape '" + ChloShapes.shapeText(shape) + "' is incompatible with return type of operation " + result);
        }
    }

    /** Checks the dot_general and ragged constraints and returns the result shape. {@code op} may be null (inference). */
    static long[] inferShape(Operation op, TensorType lhs, TensorType rhs, TensorType groups, RaggedDotDimensionNumbers dn) {
        try {
            return checkedShape(op, lhs, rhs, groups, dn);
        } catch (VerificationException e) {
            if (op != null) throw e;
            // While inferring, name the values the rule was applied to (a built op's message names the op instead).
            throw error(null, e.getMessage().substring(("'" + NAME + "' op ").length()) + "; lhs " + lhs + ", rhs " + rhs
                    + ", group_sizes " + groups + ", " + dn);
        }
    }

    private static long[] checkedShape(Operation op, TensorType lhs, TensorType rhs, TensorType groups, RaggedDotDimensionNumbers dn) {
        if (!isInteger(groups.elementType())) throw error(op, "group_sizes must be a tensor of integers, got " + groups);
        List<Long> lb = dn.lhsBatchingDimensions(), rb = dn.rhsBatchingDimensions();
        List<Long> lc = dn.lhsContractingDimensions(), rc = dn.rhsContractingDimensions();
        checkDotGeneral(op, lhs, rhs, lb, rb, lc, rc);

        if (dn.lhsRaggedDimensions().size() != 1) throw error(op, "There must be exactly one ragged dimension in the lhs.");
        long ragged = dn.lhsRaggedDimensions().get(0);
        inBounds(op, ragged, lhs.rank(), "lhs_ragged_dimensions");
        Mode mode = mode(dn);

        List<Long> prefix = new ArrayList<>();
        switch (mode) {
            case BATCH -> prefix.addAll(lb.subList(0, lb.indexOf(ragged)));
            case CONTRACTING -> {
                prefix.addAll(lb);
                prefix.addAll(lc.subList(0, lc.indexOf(ragged)));
            }
            case NON_CONTRACTING -> {
                prefix.addAll(lb);
                for (long i = 0; i < ragged; i++) if (!lb.contains(i) && !lc.contains(i)) prefix.add(i);
            }
        }
        if (groups.rank() < 1) throw error(op, "group_sizes must have rank at least 1, got " + groups);
        if (groups.rank() != 1) {
            if (groups.rank() != prefix.size() + 1) {
                throw error(op, "expected group_sizes to have rank " + (prefix.size() + 1) + ", got " + groups.rank());
            }
            for (int i = 0; i < prefix.size(); i++) {
                if (groups.dim(i) != lhs.dim(prefix.get(i).intValue())) {
                    long[] want = new long[prefix.size() + 1];
                    for (int j = 0; j < prefix.size(); j++) want[j] = lhs.dim(prefix.get(j).intValue());
                    want[prefix.size()] = groups.dim(groups.rank() - 1);
                    throw error(op, "group_sizes is expected to have shape " + ChloShapes.shapeText(want) + ", got "
                            + ChloShapes.shapeText(groups.shape()));
                }
            }
        }
        long numGroups = groups.dim(groups.rank() - 1);

        List<Long> rg = dn.rhsGroupDimensions();
        for (long d : rg) inBounds(op, d, rhs.rank(), "rhs_group_dimensions");
        disjoint(op, rg, rb, "rhs_group_dimensions", "rhs_batching_dimensions");
        disjoint(op, rg, rc, "rhs_group_dimensions", "rhs_contracting_dimensions");
        if (mode == Mode.NON_CONTRACTING) {
            if (rg.size() != 1) {
                throw error(op, "There must be exactly one group dimension in the rhs when the lhs ragged dimension is non-contracting.");
            }
            long size = rhs.dim(rg.get(0).intValue());
            if (numGroups != TensorType.DYNAMIC && size != TensorType.DYNAMIC && size != numGroups) {
                throw error(op, "rhs group dimension is expected to have size=" + numGroups + ", got " + size);
            }
        } else if (!rg.isEmpty()) {
            throw error(op, "There must be zero group dimensions in the rhs when the ragged dimension is batch or contracting.");
        }

        List<Long> out = new ArrayList<>();
        if (mode == Mode.CONTRACTING) out.add(numGroups);
        for (long d : lb) out.add(lhs.dim((int) d));
        for (int i = 0; i < lhs.rank(); i++) if (!lb.contains((long) i) && !lc.contains((long) i)) out.add(lhs.dim(i));
        for (int i = 0; i < rhs.rank(); i++) {
            long li = i;
            if (!rb.contains(li) && !rc.contains(li) && !rg.contains(li)) out.add(rhs.dim(i));
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** dot_general's rules on batching and contracting dimensions. */
    private static void checkDotGeneral(Operation op, TensorType lhs, TensorType rhs, List<Long> lb, List<Long> rb,
                                        List<Long> lc, List<Long> rc) {
        if (lb.size() != rb.size()) {
            throw error(op, "lhs and rhs should have the same number of batching dimensions (" + lb.size() + " vs " + rb.size() + ")");
        }
        if (lc.size() != rc.size()) {
            throw error(op, "lhs and rhs should have the same number of contracting dimensions (" + lc.size() + " vs " + rc.size() + ")");
        }
        unique(op, lb, lc, "lhs_batching_dimensions", "lhs_contracting_dimensions");
        unique(op, rb, rc, "rhs_batching_dimensions", "rhs_contracting_dimensions");
        for (long d : lb) inBounds(op, d, lhs.rank(), "lhs_batching_dimensions");
        for (long d : lc) inBounds(op, d, lhs.rank(), "lhs_contracting_dimensions");
        for (long d : rb) inBounds(op, d, rhs.rank(), "rhs_batching_dimensions");
        for (long d : rc) inBounds(op, d, rhs.rank(), "rhs_contracting_dimensions");
        for (int i = 0; i < lb.size(); i++) sameSize(op, lhs, rhs, lb.get(i), rb.get(i), "batching");
        for (int i = 0; i < lc.size(); i++) sameSize(op, lhs, rhs, lc.get(i), rc.get(i), "contracting");
    }

    private static void sameSize(Operation op, TensorType lhs, TensorType rhs, long l, long r, String kind) {
        long a = lhs.dim((int) l), b = rhs.dim((int) r);
        if (a != TensorType.DYNAMIC && b != TensorType.DYNAMIC && a != b) {
            throw error(op, kind + " dimension sizes must match for lhs/rhs: lhs dimension " + l + " has size " + a
                    + ", rhs dimension " + r + " has size " + b);
        }
    }

    private static void unique(Operation op, List<Long> a, List<Long> b, String an, String bn) {
        Set<Long> seen = new HashSet<>();
        for (long d : a) if (!seen.add(d)) throw error(op, "has duplicated dimension " + d + " in " + an);
        for (long d : b) if (!seen.add(d)) throw error(op, "has duplicated dimension " + d + " in " + an + " and " + bn);
    }

    private static void disjoint(Operation op, List<Long> a, List<Long> b, String an, String bn) {
        for (long d : a) if (b.contains(d)) throw error(op, "has overlap in " + an + " and " + bn + ": dimension " + d);
    }

    private static void inBounds(Operation op, long d, int rank, String what) {
        if (d < 0 || d >= rank) throw error(op, what + " entry " + d + " is out of range [0, " + rank + ")");
    }

    private static VerificationException error(Operation op, String msg) { return ChloShapes.error(NAME, op, msg); }
}
