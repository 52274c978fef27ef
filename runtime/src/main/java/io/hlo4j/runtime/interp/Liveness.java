package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * When each value of a block is read for the last time, so that {@link Interpreter#evalRegion} can unbind it and the
 * garbage collector can reuse its array while the block still runs: without this, every intermediate of a step stays
 * reachable until the block returns.
 *
 * <p>Positions are those at which ops actually run ({@link ElementwiseFusion.Plan#runsAt}): a fused group's members
 * read and bind at the position of the group's last member, a deferred broadcast's operand is read where the
 * broadcast's last user runs. A read anywhere inside the regions of op X counts as a read by X ({@link NestedOperands}:
 * a while loop runs them many times, all within X).
 * Values of enclosing blocks are not this block's to drop. The terminator's operands are returned before anything
 * after it is dropped, so they stay. Unbinding only drops a reference: the value itself is never reused or changed,
 * so a value another simulated device received through a collective is unaffected.
 *
 * @param deadOnEntry block arguments nothing reads
 * @param dropAfter   for each op position, the values whose last read runs there
 */
record Liveness(Value[] deadOnEntry, Value[][] dropAfter) {
    private static final Value[] NONE = new Value[0];

    /** The liveness of {@code b} under fusion plan {@code plan} (computed once per block by the caller's cache). */
    static Liveness of(Block b, ElementwiseFusion.Plan plan) {
        List<Operation> ops = b.operations();
        int n = ops.size();
        Map<Value, Integer> last = new IdentityHashMap<>(); // values bound in this block -> where they are last read
        for (Value a : b.arguments()) last.put(a, -1);
        for (int i = 0; i < n; i++) {
            Operation op = ops.get(i);
            if (plan.broadcasts().contains(op)) continue; // never bound
            for (Value r : op.results()) last.put(r, plan.runsAt(op, i)); // unread: dropped as soon as bound
        }
        for (int i = 0; i < n; i++) {
            Operation op = ops.get(i);
            int at = plan.runsAt(op, i);
            for (Value v : op.operands()) last.computeIfPresent(v, (k, p) -> Math.max(p, at));
            NestedOperands.forEach(op, v -> last.computeIfPresent(v, (k, p) -> Math.max(p, at)));
        }
        List<List<Value>> drop = new ArrayList<>(n);
        for (int i = 0; i < n; i++) drop.add(null);
        List<Value> dead = new ArrayList<>();
        for (Map.Entry<Value, Integer> e : last.entrySet()) {
            int p = e.getValue();
            if (p < 0) {
                dead.add(e.getKey());
                continue;
            }
            if (drop.get(p) == null) drop.set(p, new ArrayList<>());
            drop.get(p).add(e.getKey());
        }
        Value[][] out = new Value[n][];
        for (int i = 0; i < n; i++) out[i] = drop.get(i) == null ? NONE : drop.get(i).toArray(NONE);
        return new Liveness(dead.toArray(NONE), out);
    }

    /** Unbinds from {@code scope} the values whose last read ran at position {@code i}. */
    void release(int i, Scope scope) {
        for (Value v : dropAfter[i]) scope.unbind(v);
    }
}
