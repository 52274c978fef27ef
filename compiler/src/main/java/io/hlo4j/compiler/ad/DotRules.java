package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code dot_general}: each operand's cotangent is another dot_general of the result cotangent with the other
 * operand (contracting the other operand's free dims), transposed back into the operand's dimension order.
 */
final class DotRules {
    private DotRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.dot_general", (b, op, g) -> {
            DotDimensionNumbers dn = Attrs.get(op, "dot_dimension_numbers", DotDimensionNumbers.class);
            return dot(b, op, g, dn.lhsBatchingDimensions().toArray(), dn.rhsBatchingDimensions().toArray(),
                    dn.lhsContractingDimensions().toArray(), dn.rhsContractingDimensions().toArray());
        });
        // Legacy dot: vector/matrix products contracting lhs's last dim with rhs's first.
        in.rule("stablehlo.dot", (b, op, g) -> dot(b, op, g, new long[0], new long[0],
                new long[] {Backward.tensor(op.operand(0)).rank() - 1}, new long[] {0}));
    }

    private static List<Value> dot(Backward b, Operation op, List<Value> g, long[] lb, long[] rb, long[] lc, long[] rc) {
        Value lhs = op.operand(0), rhs = op.operand(1), ct = g.get(0);
        TensorType lt = Backward.tensor(lhs), rt = Backward.tensor(rhs);
        long[] lFree = free(lt.rank(), lb, lc), rFree = free(rt.rank(), rb, rc);
        int nb = lb.length;
        // Cotangent dims: [batch | lhs free | rhs free].
        long[] ctBatch = Attrs.iota(nb), ctL = range(nb, lFree.length), ctR = range(nb + lFree.length, rFree.length);
        Value gl = operandCt(b, ct, rhs, ctBatch, rb, ctR, rFree, lb, lFree, rc, lc, lt, lhs);
        Value gr = operandCt(b, ct, lhs, ctBatch, lb, ctL, lFree, rb, rFree, lc, rc, rt, rhs);
        return List.of(gl, gr);
    }

    /**
     * The cotangent of operand A given the other operand O: dot(ct, O) over ct's O-free dims gives
     * [batch | A free | O's contracting dims in increasing order], which map to A's contracting dims.
     */
    private static Value operandCt(Backward b, Value ct, Value other, long[] ctBatch, long[] oBatch, long[] ctO, long[] oFree,
                                   long[] aBatch, long[] aFree, long[] oContract, long[] aContract, TensorType at, Value a) {
        // Mixed precision (bf16 operands, f32 result): the backward dot takes and accumulates in the widest type.
        io.hlo4j.mlir.types.ElementType acc = Backward.widest(ct, other, a);
        Value d = b.hlo().dotGeneral(b.castTo(ct, acc), b.castTo(other, acc), ctBatch, oBatch, ctO, oFree, acc, b.loc());
        List<Long> order = new ArrayList<>(); // order.get(pos) = A's dimension at this position of d
        for (long x : aBatch) order.add(x);
        for (long x : aFree) order.add(x);
        long[] sortedO = oContract.clone();
        java.util.Arrays.sort(sortedO);
        for (long o : sortedO) order.add(aContract[ShapeRules.indexOf(oContract, o)]);
        long[] perm = new long[at.rank()];
        boolean identity = true;
        for (int pos = 0; pos < order.size(); pos++) {
            perm[(int) (long) order.get(pos)] = pos;
        }
        for (int i = 0; i < perm.length; i++) identity &= perm[i] == i;
        Value t = identity ? d : b.hlo().transpose(d, perm, b.loc());
        return b.castLike(t, a);
    }

    private static long[] free(int rank, long[] batch, long[] contract) {
        long[] r = new long[rank - batch.length - contract.length];
        for (int d = 0, k = 0; d < rank; d++) if (!Attrs.contains(batch, d) && !Attrs.contains(contract, d)) r[k++] = d;
        return r;
    }

    private static long[] range(int from, int n) {
        long[] r = new long[n];
        for (int i = 0; i < n; i++) r[i] = from + i;
        return r;
    }
}
