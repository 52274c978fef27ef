package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;
import java.util.List;

/**
 * {@code chlo.ragged_dot} in the grouped-matmul form the DSL emits (mode 1): lhs [m, k], rhs [g, k, n], group
 * sizes [g] give out [m, n]. The activation cotangent is again mode 1, against rhs transposed to [g, n, k]; the
 * weight cotangent is mode 2 (the ragged dim contracted): lhs^T [k, m] with out-cotangent [m, n] per group gives
 * [g, k, n].
 */
final class RaggedDotRules {
    private RaggedDotRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("chlo.ragged_dot", RaggedDotRules::raggedDot);
    }

    private static List<Value> raggedDot(Backward b, Operation op, List<Value> g) {
        RaggedDotDimensionNumbers dn = Attrs.get(op, "ragged_dot_dimension_numbers", RaggedDotDimensionNumbers.class);
        Value lhs = op.operand(0), rhs = op.operand(1), sizes = op.operand(2), ct = g.get(0);
        TensorType lt = Backward.tensor(lhs), rt = Backward.tensor(rhs);
        boolean mode1 = lt.rank() == 2 && rt.rank() == 3 && dn.lhsBatchingDimensions().isEmpty()
                && dn.lhsContractingDimensions().equals(List.of(1L)) && dn.rhsContractingDimensions().equals(List.of(1L))
                && dn.lhsRaggedDimensions().equals(List.of(0L)) && dn.rhsGroupDimensions().equals(List.of(0L));
        if (!mode1) throw b.refuse(op, "only the grouped-matmul form (lhs [m,k], rhs [g,k,n], ragged dim 0) has a VJP rule, got " + dn);
        long m = lt.dim(0), k = lt.dim(1), groups = rt.dim(0), n = rt.dim(2);
        // Mixed precision (bf16 operands, f32 result): both backward products take and accumulate in the widest type.
        io.hlo4j.mlir.types.ElementType acc = Backward.widest(ct, lhs, rhs);
        Value gc = b.castTo(ct, acc);
        // d lhs = ragged_dot(ct [m,n], rhs^T [g,n,k]).
        Value rhsT = b.hlo().transpose(b.castTo(rhs, acc), new long[] {0, 2, 1}, b.loc());
        Value gl = b.hlo().raggedDot(gc, rhsT, sizes, dn, lt.withElementType(acc), b.loc());
        // d rhs = mode 2: lhs^T [k, m] x ct [m, n], contracting the ragged m, one output per group.
        Value lhsT = b.hlo().transpose(b.castTo(lhs, acc), new long[] {1, 0}, b.loc());
        RaggedDotDimensionNumbers dn2 = new RaggedDotDimensionNumbers(List.of(), List.of(), List.of(1L), List.of(0L),
                List.of(1L), List.of());
        Value gr = b.hlo().raggedDot(lhsT, gc, sizes, dn2, TensorType.of(acc, groups, k, n), b.loc());
        return Arrays.asList(b.castLike(gl, lhs), b.castLike(gr, rhs), null);
    }
}
