package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;

import static io.hlo4j.compiler.spmd.rule.FactorKind.NEED_REPLICATION;
import static io.hlo4j.compiler.spmd.rule.FactorKind.PASS_THROUGH;
import static io.hlo4j.compiler.spmd.rule.FactorKind.REDUCTION;
import static io.hlo4j.compiler.spmd.rule.RuleBuilder.NONE;

/**
 * gather and scatter, as Shardy factors them: batch dimensions (explicit operand/indices batching dims, or the
 * implicit index batch) pass through, offset dimensions taken whole pass through, sliced dimensions need
 * replication, collapsed/indexed dimensions are reductions for gather (each device contributes the rows it
 * holds) and pass through for scatter, and the index vector dimension needs replication.
 *
 * <p>One departure from Shardy: a scatter's update window that spans a whole input dimension the indices address
 * (more than one row) needs replication, where Shardy passes it through. Scatter checks bounds per element
 * (StableHLO's semantics, which the interpreter runs), so a window starting at 1 or -2 still updates the rows it
 * overlaps, each from another row of the window: a device's rows of the result need update rows other devices hold.
 * XLA partitions that dimension locally, which is right only where a window out of bounds is dropped whole (XLA's
 * own scatter). gather clamps its start, so a whole-dimension slice always starts at 0 and passes through.
 */
final class IndexingRules {
    private IndexingRules() {}

    static void install(ShardingRules.Installer in) {
        in.rule("stablehlo.gather", IndexingRules::gather);
        in.rule("stablehlo.scatter", IndexingRules::scatter);
    }

    /** Receives one factor: the input, indices and slices dimension it covers ({@link RuleBuilder#NONE} when absent). */
    @FunctionalInterface
    interface AddFactor {
        void add(int inputDim, int indicesDim, int slicesDim, long size, FactorKind kind, boolean blocked);
    }

    static void factors(boolean isScatter, boolean scatterReduces, long[] input, long[] slices, long[] indices, long indexVectorDim,
                        Dims offsetDims, Dims collapsed, Dims inputBatching, Dims indicesBatching, Dims indexed, AddFactor add) {
        int inputDim = 0, batchPos = 0;
        for (int s = 0; s < slices.length; s++) {
            if (offsetDims.contains(s)) {
                while (collapsed.contains(inputDim) || inputBatching.contains(inputDim)) inputDim++;
                long inSize = input[inputDim];
                if (inSize == slices[s]) {
                    // a scatter window starting off 0 writes its rows into other rows (see the class comment)
                    boolean shifts = isScatter && inSize > 1 && indexed.contains(inputDim);
                    add.add(inputDim, NONE, s, inSize, shifts ? NEED_REPLICATION : PASS_THROUGH, false);
                } else if (isScatter) {
                    add.add(inputDim, NONE, NONE, inSize, NEED_REPLICATION, false);
                    add.add(NONE, NONE, s, slices[s], NEED_REPLICATION, false);
                } else if (slices[s] == 1) {
                    add.add(inputDim, NONE, NONE, inSize, REDUCTION, false);
                    add.add(NONE, NONE, s, slices[s], NEED_REPLICATION, false);
                } else {
                    add.add(inputDim, NONE, s, inSize, NEED_REPLICATION, true);
                }
                inputDim++;
            } else {
                int indicesDim = batchPos < indexVectorDim ? batchPos : batchPos + 1;
                int pos = indexOf(indicesBatching, indicesDim);
                int inputBatchDim = pos >= 0 ? (int) inputBatching.get(pos) : NONE;
                FactorKind kind = PASS_THROUGH;
                if (isScatter && pos < 0) kind = scatterReduces ? REDUCTION : NEED_REPLICATION;
                add.add(inputBatchDim, indicesDim, s, slices[s], kind, false);
                batchPos++;
            }
        }
        for (int i = 0; i < collapsed.size(); i++) {
            int d = (int) collapsed.get(i);
            FactorKind kind = isScatter ? PASS_THROUGH : input[d] == 1 ? NEED_REPLICATION : REDUCTION;
            add.add(d, NONE, NONE, input[d], kind, false);
        }
        if (indexVectorDim < indices.length) {
            add.add(NONE, (int) indexVectorDim, NONE, indices[(int) indexVectorDim], NEED_REPLICATION, false);
        }
    }

    private static int indexOf(Dims dims, long v) {
        for (int i = 0; i < dims.size(); i++) if (dims.get(i) == v) return i;
        return -1;
    }

    /** (operand, start_indices) -> result. */
    static OpShardingRule gather(Operation op) {
        GatherDimensionNumbers dn = OpAttrs.get(op, "dimension_numbers", GatherDimensionNumbers.class);
        RuleBuilder b = new RuleBuilder(op);
        factors(false, false, OpAttrs.operandShape(op, 0), OpAttrs.resultShape(op, 0), OpAttrs.operandShape(op, 1),
                dn.indexVectorDim(), dn.offsetDims(), dn.collapsedSliceDims(), dn.operandBatchingDims(),
                dn.startIndicesBatchingDims(), dn.startIndexMap(),
                (in, idx, sl, size, kind, blocked) -> b.factor(new int[] {in, idx}, new int[] {sl}, size, kind, blocked));
        return b.build();
    }

    /** (inputs..., scatter_indices, updates...) -> results...: one factor serves every input, update and result. */
    static OpShardingRule scatter(Operation op) {
        ScatterDimensionNumbers dn = OpAttrs.get(op, "scatter_dimension_numbers", ScatterDimensionNumbers.class);
        int n = op.numResults();
        RuleBuilder b = new RuleBuilder(op);
        factors(true, reducesBySum(op), OpAttrs.operandShape(op, 0), OpAttrs.operandShape(op, n + 1), OpAttrs.operandShape(op, n),
                dn.indexVectorDim(), dn.updateWindowDims(), dn.insertedWindowDims(), dn.inputBatchingDims(),
                dn.scatterIndicesBatchingDims(), dn.scatterDimsToOperandDims(), (in, idx, up, size, kind, blocked) -> {
                    int[] od = new int[2 * n + 1];
                    for (int k = 0; k < n; k++) {
                        od[k] = in;
                        od[n + 1 + k] = up;
                    }
                    od[n] = idx;
                    int[] rd = new int[n];
                    java.util.Arrays.fill(rd, in);
                    b.factor(od, rd, size, kind, blocked);
                });
        return b.build();
    }

    /**
     * Whether the update computation combines each input with its update by one associative, commutative op
     * (add, mul, max, min; and/or on i1), the same for every input (Shardy's "common supported reduction"):
     * then updates spread over devices can be finished by an all-reduce.
     */
    static boolean reducesBySum(Operation op) {
        int n = op.numResults();
        if (op.regions().isEmpty() || op.region(0).isEmpty()) return false;
        var block = op.region(0).entry();
        if (block.arguments().size() != 2 * n) return false;
        var ret = block.terminator();
        if (ret == null || ret.numOperands() != n) return false;
        String kind = null;
        for (int k = 0; k < n; k++) {
            if (!(ret.operand(k) instanceof io.hlo4j.mlir.ir.OpResult r)) return false;
            Operation c = r.owner();
            boolean logical = java.util.Set.of("stablehlo.and", "stablehlo.or").contains(c.name())
                    && r.type().toString().contains("i1");
            if (!logical && !java.util.Set.of("stablehlo.add", "stablehlo.multiply", "stablehlo.maximum", "stablehlo.minimum")
                    .contains(c.name())) return false;
            if (kind != null && !kind.equals(c.name())) return false;
            kind = c.name();
            if (c.numOperands() != 2) return false;
            var a = block.argument(k);
            var b = block.argument(n + k);
            boolean ok = (c.operand(0) == a && c.operand(1) == b) || (c.operand(0) == b && c.operand(1) == a);
            if (!ok) return false;
        }
        return true;
    }
}
