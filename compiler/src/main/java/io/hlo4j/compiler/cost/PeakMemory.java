package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.Walker;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Peak memory of a function run op by op in program order with no buffer reuse beyond liveness: the
 * arguments stay live throughout (the caller owns them), each op's result is live from that op to its last
 * use (a use inside a nested region counts at the top-level op that holds it), and while an op runs its
 * operands and results are live together. Values inside nested regions (reducer bodies, loop bodies) are
 * not counted: they are scalars or are accounted by the op that holds them.
 */
public final class PeakMemory {
    private PeakMemory() {}

    /** Peak live bytes, and the index of the top-level op at which it occurs (-1 when only the arguments count). */
    public record Peak(long bytes, int atOp, String atOpName) {}

    public static Peak of(Block body) {
        List<Operation> ops = body.operations();
        Map<Value, Integer> lastUse = new IdentityHashMap<>();
        for (int i = 0; i < ops.size(); i++) {
            int at = i;
            Walker.walk(ops.get(i), o -> { for (Value v : o.operands()) lastUse.put(v, at); });
        }
        long args = 0;
        for (BlockArgument a : body.arguments()) args = Math.addExact(args, TensorBytes.of(a.type()));
        // delta[i]: bytes that stop being live after op i.
        long[] freeAfter = new long[ops.size() + 1];
        long live = args;
        Peak best = new Peak(args, -1, null);
        for (int i = 0; i < ops.size(); i++) {
            Operation op = ops.get(i);
            for (OpResult r : op.results()) {
                long b = TensorBytes.of(r.type());
                live = Math.addExact(live, b);
                int end = lastUse.getOrDefault(r, i);
                freeAfter[end] = Math.addExact(freeAfter[end], b);
            }
            if (live > best.bytes()) best = new Peak(live, i, op.name());
            live -= freeAfter[i];
        }
        return best;
    }
}
