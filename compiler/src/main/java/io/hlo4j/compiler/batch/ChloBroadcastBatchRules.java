package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * chlo's implicitly broadcasting family ({@code chlo.broadcast_add} ... {@code broadcast_compare},
 * {@code broadcast_select}) and {@code chlo.constant_like}. The leaf constants ({@code chlo.constant},
 * {@code sdy.constant}) have no rule: they read no operand, so {@link Batcher} copies them as they are.
 *
 * <p>An example operand of rank r maps its dimensions onto the result's (right-aligned, numpy style, or by
 * {@code broadcast_dimensions}); a batch dimension would break that alignment, so each operand is rewritten to the
 * result's rank plus one: the batch dimension first (size 1 when the operand is unbatched), then the result's
 * dimensions, each the operand's own size where it maps there and 1 elsewhere. That is a reshape (a
 * {@code broadcast_in_dim} adding size-1 dimensions; an operand whose batch dimension is not leading is transposed
 * first), no operand is broadcast to the batch, and the op still broadcasts the size-1 dimensions itself: equal ranks
 * broadcast element-wise, so {@code broadcast_dimensions} is dropped.
 */
final class ChloBroadcastBatchRules {
    private ChloBroadcastBatchRules() {}

    static void install(BatchRules.Installer in) {
        List<String> names = new ArrayList<>();
        for (OpDef d : in.registry().all()) if (d.name().startsWith("chlo.broadcast_")) names.add(d.name());
        for (String n : names) in.rule(n, ChloBroadcastBatchRules::broadcasting);
        // A splat shaped like its operand: the batched operand gives the shape, the value is the same for all.
        in.rule("chlo.constant_like", (b, op, a) -> {
            int d = a.get(0).bdim();
            return Batcher.all(b.emitLike(op, List.of(a.get(0).value()), java.util.Map.of(), List.of(), b.batchedResults(op, d)), d);
        });
    }

    private static List<Batched> broadcasting(Batcher b, Operation op, List<Batched> args) {
        TensorType rt = (TensorType) op.result(0).type();
        int r = rt.rank();
        long[] dims = op.attr("broadcast_dimensions") instanceof DenseArrayAttr d ? d.longs() : null;
        int maxRank = 0;
        for (Batched a : args) maxRank = Math.max(maxRank, a.exampleRank());
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            Batched a = args.get(i);
            int er = a.exampleRank();
            TensorType et = a.type();
            for (long s : et.shape()) {
                if (s == TensorType.DYNAMIC) {
                    throw b.refuse(op, args, "operand #" + i + " has a dynamic dimension; its size-1 alignment needs static sizes");
                }
            }
            // where each example dimension of the operand lands in the result (broadcast_dimensions apply to the lower-rank
            // operand of a binary op when ranks differ; broadcast_select has none)
            long[] map = new long[er];
            for (int k = 0; k < er; k++) map[k] = r - er + k;
            if (dims != null && er < maxRank) map = dims.clone();
            long[] shape = new long[r + 1];
            Arrays.fill(shape, 1);
            long[] bdims = new long[er + (a.batched() ? 1 : 0)];
            int j = 0;
            long[] ex = exampleShape(a);
            if (a.batched()) { shape[0] = b.size(); bdims[j++] = 0; }
            for (int k = 0; k < er; k++) { shape[(int) map[k] + 1] = ex[k]; bdims[j++] = map[k] + 1; }
            Value x = a.batched() ? b.moveTo(a, 0) : a.value();
            if (Arrays.equals(((TensorType) x.type()).shape(), shape) && isIdentity(bdims)) ins.add(x);
            else ins.add(b.hlo().broadcastInDim(x, shape, bdims, b.loc()));
        }
        var ob = Operation.builder(op.name()).location(b.loc()).properties(op.properties()).attributes(op.attributes())
                .operands(ins).resultTypes(b.batchedResults(op, 0));
        ob.removeProperty("broadcast_dimensions");
        ob.removeAttribute("broadcast_dimensions");
        return Batcher.all(b.ir().append(ob, b.loc()).results(), 0);
    }

    /** The operand's example shape: its shape less the batch dimension. */
    private static long[] exampleShape(Batched a) {
        long[] s = a.type().shape();
        if (!a.batched()) return s;
        long[] out = new long[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) if (i != a.bdim()) out[j++] = s[i];
        return out;
    }

    private static boolean isIdentity(long[] dims) {
        for (int i = 0; i < dims.length; i++) if (dims[i] != i) return false;
        return true;
    }
}
