package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The dynamic-shape forms of reshape, broadcast_in_dim, slice and pad, differentiated where the shapes are
 * static: their shape operands get no cotangent, and the data cotangent is that of the static op. Slice
 * bounds and padding amounts must be constants (they fix where the cotangent lands); anything else is refused.
 */
final class DynamicShapeRules {
    private DynamicShapeRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.dynamic_reshape", (b, op, g) ->
                Arrays.asList(b.reshape(g.get(0), staticShape(b, op, op.operand(0)).shape()), null));
        in.rule("stablehlo.dynamic_broadcast_in_dim", (b, op, g) -> {
            staticShape(b, op, op.operand(0));
            staticShape(b, op, op.result());
            return Arrays.asList(ShapeRules.broadcastInDim(b, op, g).get(0), null);
        });
        in.rule("stablehlo.real_dynamic_slice", (b, op, g) -> {
            staticShape(b, op, op.operand(0));
            staticShape(b, op, op.result());
            long[] start = constant(b, op, 1, "start_indices"), strides = constant(b, op, 3, "strides");
            return Arrays.asList(ShapeRules.sliceCt(b, op, start, strides, g.get(0)), null, null, null);
        });
        in.rule("stablehlo.dynamic_pad", (b, op, g) -> {
            staticShape(b, op, op.operand(0));
            staticShape(b, op, op.result());
            List<Value> r = new ArrayList<>(ShapeRules.padCt(b, op, constant(b, op, 2, "edge_padding_low"),
                    constant(b, op, 3, "edge_padding_high"), constant(b, op, 4, "interior_padding"), g.get(0)));
            r.addAll(Arrays.asList(null, null, null));
            return r;
        });
    }

    private static TensorType staticShape(Backward b, Operation op, Value v) {
        TensorType t = Backward.tensor(v);
        if (!t.hasStaticShape()) throw b.refuse(op, "needs static shapes, got " + t);
        return t;
    }

    /** The values of shape operand {@code i}, which must come straight from a stablehlo.constant. */
    static long[] constant(Backward b, Operation op, int i, String what) {
        if (op.operand(i) instanceof OpResult r && r.owner().name().equals("stablehlo.constant")
                && r.owner().attr("value") instanceof DenseElementsAttr d) {
            return Attrs.denseLongs(d);
        }
        throw b.refuse(op, what + " (operand #" + i + ") must be a stablehlo.constant to differentiate, got " + op.operand(i));
    }
}
