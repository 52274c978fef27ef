package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code map}: the body is a scalar function applied element-wise, so operand i's cotangent is another map over
 * (inputs..., cotangent) whose body recomputes the original body and backpropagates the scalar cotangent through
 * it, yielding the body argument i's cotangent. One map per float operand (each recomputes the body).
 */
final class MapRules {
    private MapRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.map", MapRules::map);
    }

    private static List<Value> map(Backward b, Operation op, List<Value> g) {
        Block body = op.region(0).entry();
        if (!Regions.capturedAll(body).isEmpty()) throw b.refuse(op, "its body reads values defined outside it");
        List<Value> operands = new ArrayList<>(op.operands());
        operands.add(g.get(0));
        List<Type> scalars = new ArrayList<>();
        for (Value v : operands) scalars.add(TensorType.scalar(Backward.tensor(v).elementType()));
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) {
            if (!Backward.differentiable(op.operand(i).type())) { out.add(null); continue; }
            int k = i;
            Region r = b.hlo().region(scalars, sb -> {
                List<Value> args = new ArrayList<>(sb.ir().arguments());
                Value ct = args.remove(args.size() - 1);
                Sweep s = Regions.differentiate(sb.ir(), body, args, List.of(ct), b.sweep());
                return List.of(Regions.ctOrZeros(s, body.argument(k), args.get(k)));
            }, b.loc());
            out.add(b.ir().emit("stablehlo.map", operands, Map.of("dimensions", op.attr("dimensions")), List.of(r),
                    List.of(op.operand(i).type()), b.loc()).get(0));
        }
        return out;
    }
}
