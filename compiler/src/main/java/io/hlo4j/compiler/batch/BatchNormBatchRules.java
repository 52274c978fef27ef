package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * batch_norm_training, batch_norm_inference and batch_norm_grad (JAX has no such ops; its batch norm is written
 * with reductions). Each example normalizes its own features with its own statistics, so the batch dimension is
 * merged into the feature dimension: the operand's batch dimension is moved just before the feature dimension
 * and the two reshaped into one of {@code B*C} features (example b's feature c at {@code b*C + c}); the per-feature
 * operands (scale, offset, mean, variance) are stacked {@code [B, C]} and flattened the same way. One op then
 * computes every example's statistics, and the results are split back: full-shape results batched at the feature
 * index, per-feature results {@code [B, C]} batched at 0. No example sees another's values. An unbatched operand is
 * broadcast to the batch first, so when only the per-feature operands are batched the operand is copied B times and
 * its statistics computed once per example (B times the same numbers for batch_norm_training).
 */
final class BatchNormBatchRules {
    private BatchNormBatchRules() {}

    static void install(BatchRules.Installer in) {
        for (String n : List.of("stablehlo.batch_norm_training", "stablehlo.batch_norm_inference", "stablehlo.batch_norm_grad")) {
            in.rule(n, BatchNormBatchRules::batchNorm);
        }
    }

    private static List<Batched> batchNorm(Batcher b, Operation op, List<Batched> args) {
        TensorType x = (TensorType) op.operand(0).type();
        int f = (int) ((IntegerAttr) op.attr("feature_index")).value();
        int rank = x.rank();
        long c = x.dim(f), n = b.size();
        for (long d : x.shape()) {
            if (d == TensorType.DYNAMIC) {
                throw b.refuse(op, args, "the operand " + x + " has a dynamic dimension; merging the batch into the features reshapes it");
            }
        }
        var h = b.hlo();
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            Batched a = args.get(i);
            TensorType t = (TensorType) op.operand(i).type();
            if (t.rank() == rank) {                  // the operand, grad_output: [..., B, C, ...] -> [..., B*C, ...]
                Value v = b.materialize(a, f);
                ins.add(h.reshape(v, merged(t, f, n), b.loc()));
            } else {                                 // per feature: [B, C] -> [B*C]
                ins.add(h.reshape(b.materialize(a, 0), new long[]{n * c}, b.loc()));
            }
        }
        List<Type> rts = new ArrayList<>();
        for (Value r : op.results()) {
            TensorType t = (TensorType) r.type();
            rts.add(t.withShape(t.rank() == rank ? merged(t, f, n) : new long[]{n * c}));
        }
        List<OpResult> rs = b.emitLike(op, ins, Map.of(), List.of(), rts);
        List<Batched> out = new ArrayList<>();
        for (int i = 0; i < rs.size(); i++) {
            TensorType t = (TensorType) op.result(i).type();
            if (t.rank() == rank) out.add(Batched.of(h.reshape(rs.get(i), Batcher.insert(t, f, n).shape(), b.loc()), f));
            else out.add(Batched.of(h.reshape(rs.get(i), new long[]{n, c}, b.loc()), 0));
        }
        return out;
    }

    /** {@code t}'s shape with its feature dimension {@code f} multiplied by the batch size. */
    private static long[] merged(TensorType t, int f, long n) {
        long[] s = t.shape().clone();
        s[f] *= n;
        return s;
    }
}
