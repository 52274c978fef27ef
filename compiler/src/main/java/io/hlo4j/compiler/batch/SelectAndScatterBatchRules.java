package io.hlo4j.compiler.batch;

import io.hlo4j.compiler.cost.TensorBytes;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.hlo4j.compiler.batch.DimMath.array;
import static io.hlo4j.compiler.batch.DimMath.i64;
import static io.hlo4j.compiler.batch.DimMath.prepend;

/**
 * select_and_scatter (the gradient of max pooling): the batch dimension leads and is one more window dimension of
 * size 1, stride 1 and no padding, as for reduce_window, so every window stays inside one example and the source
 * (one element per window) gets the batch dimension at the same place. The select and scatter bodies work per
 * element and are copied. A batched init value works when the scatter body is a monoid (add, multiply, maximum,
 * minimum, and, or): the op scatters onto the monoid's identity and each example's init is combined afterwards
 * (an element no window selects gets identity op init = init, as it would have got init); other bodies are refused.
 */
final class SelectAndScatterBatchRules {
    private SelectAndScatterBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.select_and_scatter", SelectAndScatterBatchRules::selectAndScatter);
    }

    private static List<Batched> selectAndScatter(Batcher b, Operation op, List<Batched> a) {
        TensorType xt = (TensorType) op.operand(0).type();
        int r = xt.rank();
        Map<String, Attribute> props = new HashMap<>();
        long[] ones = new long[r];
        java.util.Arrays.fill(ones, 1);
        props.put("window_dimensions", i64(prepend(1, op.attr("window_dimensions") == null ? ones : array(op, "window_dimensions"))));
        props.put("window_strides", i64(prepend(1, op.attr("window_strides") == null ? ones : array(op, "window_strides"))));
        long[] q = new long[2 * r + 2];
        if (op.attr("padding") instanceof DenseElementsAttr pad) System.arraycopy(TensorBytes.intValues(pad), 0, q, 2, 2 * r);
        props.put("padding", Constants.ofLongs(TensorType.of(IntegerType.I64, r + 1, 2), q));
        Value x = b.materialize(a.get(0), 0), src = b.materialize(a.get(1), 0);
        List<io.hlo4j.mlir.ir.Region> regions = List.of(b.copyRegion(op, op.region(0)), b.copyRegion(op, op.region(1)));
        Batched init = a.get(2);
        if (!init.batched()) {
            return Batcher.all(b.emitLike(op, List.of(x, src, init.value()), props, regions, b.batchedResults(op, 0)), 0);
        }
        String m = BatchedFill.monoid(op.region(1));
        if (m == null) {
            throw b.refuse(op, a, "the init value is batched and the scatter body is not one of add, multiply, maximum, minimum, and, or;"
                    + " only a monoid's init can be applied after scattering");
        }
        ElementType et = init.type().elementType();
        Value id = BatchedFill.identity(b, m, et);
        if (id == null) throw b.refuse(op, a, "the init value is batched and " + m + " has no identity on " + et);
        Value res = b.emitLike(op, List.of(x, src, id), props, regions, b.batchedResults(op, 0)).get(0);
        TensorType rt = (TensorType) res.type();
        Value iv = b.hlo().broadcastInDim(b.moveTo(init, 0), rt.shape(), new long[]{0}, b.loc());
        return List.of(Batched.of(b.ir().emit1(m, List.of(res, iv), Map.<String, Attribute>of(), b.loc()), 0));
    }
}
