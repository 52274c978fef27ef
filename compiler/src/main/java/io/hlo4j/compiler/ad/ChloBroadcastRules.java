package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * chlo's implicitly broadcasting arithmetic (broadcast_add, ...) and chlo.square. A broadcast_X op is
 * differentiated as what it means: each operand is broadcast_in_dim'ed explicitly to the result shape (right-
 * aligned, or by the op's broadcast_dimensions for the lower-rank operand, as chlo defines it), the stablehlo X
 * op is re-emitted on those and its own rule runs, and each cotangent goes back through broadcast_in_dim's rule
 * (summing over the broadcast dims). One rule per meaning, no duplicated derivatives.
 */
final class ChloBroadcastRules {
    private ChloBroadcastRules() {}

    private static final Map<String, String> STABLEHLO = Map.of(
            "add", "add", "sub", "subtract", "mul", "multiply", "div", "divide", "max", "maximum", "min", "minimum",
            "pow", "power", "atan2", "atan2", "rem", "remainder", "complex", "complex");

    static void install(VjpRules.Installer in) {
        for (Map.Entry<String, String> e : STABLEHLO.entrySet()) {
            String target = "stablehlo." + e.getValue();
            in.rule("chlo.broadcast_" + e.getKey(), (b, op, g) -> viaStablehlo(b, op, g, target));
        }
        in.rule("chlo.broadcast_select", (b, op, g) -> viaStablehlo(b, op, g, "stablehlo.select"));
        // chlo's own binary special functions: the same explicit broadcast, then the chlo op's rule.
        in.rule("chlo.broadcast_polygamma", (b, op, g) -> viaStablehlo(b, op, g, "chlo.polygamma"));
        in.rule("chlo.broadcast_zeta", (b, op, g) -> viaStablehlo(b, op, g, "chlo.zeta"));
        in.rule("chlo.square", (b, op, g) -> List.of(b.mul(g.get(0), b.scale(op.operand(0), 2))));
    }

    private static List<Value> viaStablehlo(Backward b, Operation op, List<Value> g, String target) {
        TensorType rt = Backward.tensor(op.result());
        if (!rt.hasStaticShape()) throw b.refuse(op, "needs a static result shape, got " + rt);
        long[] attrDims = op.attr("broadcast_dimensions") != null ? Attrs.i64s(op, "broadcast_dimensions") : null;
        List<Value> wide = new ArrayList<>();
        List<Operation> broadcasts = new ArrayList<>();
        for (Value x : op.operands()) {
            TensorType xt = Backward.tensor(x);
            if (!xt.hasStaticShape()) throw b.refuse(op, "needs static operand shapes, got " + xt);
            long[] dims = new long[xt.rank()];
            for (int i = 0; i < dims.length; i++) dims[i] = xt.rank() == rt.rank() || attrDims == null ? rt.rank() - xt.rank() + i : attrDims[i];
            OpResult w = (OpResult) b.broadcast(x, TensorType.of(xt.elementType(), rt.shape()), dims);
            wide.add(w);
            broadcasts.add(w.owner());
        }
        Operation same = ((OpResult) b.ir().emit1(target, wide, Map.of(), b.loc())).owner();
        List<Value> cts = OpRegistry.global().lookup(target).extension(VjpRule.class).vjp(b, same, g);
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < cts.size(); i++) {
            Value ct = cts.get(i);
            out.add(ct == null ? null : ShapeRules.broadcastInDim(b, broadcasts.get(i), List.of(ct)).get(0));
        }
        return out;
    }
}
