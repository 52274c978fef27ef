package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Element-wise ops (every op with the {@link OpTrait#ELEMENTWISE} trait except chlo's implicitly broadcasting
 * {@code broadcast_*} family, see {@link ChloBroadcastBatchRules}): all operands take the batch dimension at one
 * place, unbatched operands are broadcast along it. A scalar operand beside tensors (select's predicate, clamp's
 * bounds) stays a scalar when unbatched and is spelled out to the full shape when batched.
 */
final class ElementwiseBatchRules {
    private ElementwiseBatchRules() {}

    static void install(BatchRules.Installer in) {
        List<String> names = new ArrayList<>();
        for (OpDef d : in.registry().all()) {
            if (d.has(OpTrait.ELEMENTWISE) && !d.name().startsWith("chlo.broadcast_")) names.add(d.name());
        }
        for (String n : names) in.rule(n, ElementwiseBatchRules::elementwise);
    }

    static List<Batched> elementwise(Batcher b, Operation op, List<Batched> args) {
        TensorType rt = (TensorType) op.result(0).type();
        int r = rt.rank();
        // Keep the batch dimension where the full-rank batched operands agree on it (no transposes), else lead with it.
        int dim = -2;
        for (Batched a : args) {
            if (!a.batched() || a.exampleRank() != r) continue;
            dim = dim == -2 || dim == a.bdim() ? a.bdim() : 0;
        }
        if (dim < 0) dim = 0;
        List<Value> ins = new ArrayList<>();
        for (Batched a : args) {
            int er = a.exampleRank();
            if (er == r) ins.add(b.materialize(a, dim));
            else if (!a.batched()) ins.add(a.value());               // an unbatched scalar beside tensors stays a scalar
            else {                                                      // a batched scalar beside tensors: spell it out
                TensorType full = Batcher.insert(rt, dim, b.size()).withElementType(a.type().elementType());
                ins.add(b.hlo().broadcastInDim(a.value(), full.shape(), new long[]{dim}, b.loc()));
            }
        }
        return Batcher.all(b.emitLike(op, ins, Map.of(), List.of(), b.batchedResults(op, dim)), dim);
    }
}
