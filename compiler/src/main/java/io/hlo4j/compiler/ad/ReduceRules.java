package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code stablehlo.reduce} with one operand and a recognised combiner: add (the cotangent is broadcast back),
 * maximum/minimum (it goes to the elements equal to the result, split evenly among ties as JAX does).
 */
final class ReduceRules {
    private ReduceRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.reduce", ReduceRules::reduce);
    }

    /** The single binary op a reduction body applies to its two arguments ("add", "maximum", ...), or null. */
    static String combiner(Region body) {
        Block blk = body.entry();
        if (blk.arguments().size() != 2 || blk.operations().size() != 2) return null;
        Operation op = blk.operations().get(0), ret = blk.terminator();
        if (op.numOperands() != 2 || ret.numOperands() != 1 || ret.operand(0) != op.result()) return null;
        boolean args = (op.operand(0) == blk.argument(0) && op.operand(1) == blk.argument(1))
                || (op.operand(0) == blk.argument(1) && op.operand(1) == blk.argument(0));
        return args && op.name().startsWith("stablehlo.") ? op.name().substring("stablehlo.".length()) : null;
    }

    private static List<Value> reduce(Backward b, Operation op, List<Value> g) {
        if (op.numOperands() != 2) throw b.refuse(op, "only single-operand reductions have a VJP rule (got " + op.numOperands() / 2 + " operands)");
        String c = combiner(op.region(0));
        Value x = op.operand(0), y = op.result();
        TensorType xt = Backward.tensor(x);
        long[] dims = Attrs.i64s(op, "dimensions");
        long[] kept = new long[xt.rank() - dims.length];
        for (int d = 0, k = 0; d < xt.rank(); d++) if (!Attrs.contains(dims, d)) kept[k++] = d;
        Value gB = b.broadcast(g.get(0), xt, kept);
        if ("add".equals(c)) {
            // init contributes once per output element.
            return List.of(gB, b.sumAll(g.get(0)));
        }
        if ("maximum".equals(c) || "minimum".equals(c)) {
            Value mask = b.compare("EQ", x, b.broadcast(y, xt, kept));
            Value ones = b.select(mask, b.fullLike(x, 1), b.zerosLike(x));
            Value count = b.broadcast(b.sum(ones, dims), xt, kept);
            Value gx = b.div(b.mul(gB, ones), count);
            // The init value only wins where no element reached it; treat it as a constant (it is -inf/+inf in practice).
            return new ArrayList<>(Arrays.asList(gx, null));
        }
        throw b.refuse(op, "no VJP rule for a reduction combining with " + (c == null ? "a multi-op body" : "'" + c + "'"));
    }
}
