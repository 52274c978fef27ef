package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpDef;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One forward-then-backward pass over a list of ops into one builder: a function body, or a region body
 * (branch, loop body, callee) differentiated inside a region of the backward program. Values the ops use that
 * were defined outside (captured from an enclosing scope and visible in the builder) are used as they are, and
 * their cotangents are collected for the enclosing sweep.
 */
final class Sweep {
    private final IrBuilder builder;
    private final Backward bw;
    private final Map<Value, Value> primal = new IdentityHashMap<>();
    private final Map<Value, Value> original = new IdentityHashMap<>();
    private final Map<Value, Value> cts = new IdentityHashMap<>();
    private final List<Value> outside = new ArrayList<>();
    private final List<Operation> ops = new ArrayList<>(), clones = new ArrayList<>();
    final Function<String, Operation> symbols;

    Sweep(IrBuilder builder, Function<String, Operation> symbols) {
        this.builder = builder;
        this.symbols = symbols;
        this.bw = new Backward(builder, this);
    }

    Backward context() { return bw; }

    void bind(Value orig, Value now) { primal.put(orig, now); original.put(now, orig); }

    Map<Value, Value> primalMap() { return primal; }

    /**
     * Uses {@code now} wherever {@code orig} (a value captured from outside these ops) is read, while its cotangent
     * stays keyed by {@code orig} and is reported as an outside value: also the cotangent a nested region's rule
     * reports for {@code now} ({@link Backward#captured}), e.g. a loop inside a saved-carry loop's body reading a value
     * from outside both, which was lost before (keyed by {@code now}, which the enclosing rule never asks for).
     */
    void alias(Value orig, Value now) { primal.put(orig, now); original.put(now, orig); aliased.add(orig); }

    private final java.util.Set<Value> aliased = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    Value primal(Value orig) {
        Value v = primal.get(orig);
        return v != null ? v : orig;
    }

    /** Re-emits {@code op} (its results become residuals of the backward pass). */
    Operation forward(Operation op) {
        if (Checkpoint.isRematCall(op)) return forwardRemat(op);
        long trips = ScanLoops.tripCount(op);
        if (trips > 0 && carriesGradients(op)) return forwardScan(op, trips);
        Operation c = builder.append(Cloner.copy(op, primal), op.location());
        for (int i = 0; i < c.numResults(); i++) bind(op.result(i), c.result(i));
        ops.add(op);
        clones.add(c);
        return c;
    }

    /** A checkpointed call, inlined: the forward copy of each callee op, and which of them the policy saves. */
    private record Remat(List<Value> args, Map<Operation, Operation> forward, List<Operation> saved) {}

    private final Map<Operation, Remat> remats = new IdentityHashMap<>();

    private Operation forwardRemat(Operation call) {
        Block body = Checkpoint.body(this, call);
        Map<Value, Value> m = new IdentityHashMap<>();
        List<Value> args = new ArrayList<>();
        for (int i = 0; i < call.numOperands(); i++) { args.add(primal(call.operand(i))); m.put(body.argument(i), args.get(i)); }
        Map<Operation, Operation> fwd = new IdentityHashMap<>();
        List<Operation> saved = new ArrayList<>();
        Operation term = body.terminator();
        for (Operation inner : body.operations()) {
            if (inner == term) break;
            Operation c = builder.append(Cloner.copy(inner, m), inner.location());
            for (int i = 0; i < c.numResults(); i++) m.put(inner.result(i), c.result(i));
            fwd.put(inner, c);
            if (Checkpoint.saves(call, inner)) saved.add(inner);
        }
        for (int i = 0; i < call.numResults(); i++) bind(call.result(i), Cloner.lookup(m, term.operand(i), term));
        remats.put(call, new Remat(args, fwd, saved));
        ops.add(call);
        clones.add(call);
        return call;
    }

    /**
     * Backward of a checkpointed call: recompute the callee from its arguments and the saved values (through an
     * optimization_barrier), then backpropagate through it. A saved op's rule sees its forward copy.
     */
    private List<Value> backwardRemat(Operation call, Remat r, List<Value> g) {
        Block body = Checkpoint.body(this, call);
        List<Value> in = new ArrayList<>(r.args());
        for (Operation s : r.saved()) in.addAll(r.forward().get(s).results());
        List<? extends Value> kept = in.isEmpty() ? in
                : builder.emit("stablehlo.optimization_barrier", in, Map.of(), List.of(), in.stream().map(Value::type).toList(), call.location());
        Sweep s = new Sweep(builder, symbols);
        for (int i = 0; i < r.args().size(); i++) s.bind(body.argument(i), kept.get(i));
        int k = r.args().size();
        Map<Operation, List<Value>> savedValues = new IdentityHashMap<>();
        for (Operation op : r.saved()) {
            savedValues.put(op, new ArrayList<>(kept.subList(k, k + op.numResults())));
            k += op.numResults();
        }
        Operation term = body.terminator();
        for (Operation inner : body.operations()) {
            if (inner == term) break;
            List<Value> sv = savedValues.get(inner);
            if (sv == null) s.forward(inner);
            else s.reuse(inner, r.forward().get(inner), sv);
        }
        s.context().at(call.location());
        for (int i = 0; i < term.numOperands(); i++) if (g.get(i) != null) s.seed(term.operand(i), g.get(i));
        s.backward();
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < call.numOperands(); i++) out.add(s.cotangent(body.argument(i)));
        return out;
    }

    /** Loops over integers only (PRNG rounds, counters) need no stacks. */
    private static boolean carriesGradients(Operation loop) {
        for (Value v : loop.operands()) if (Backward.differentiable(v.type())) return true;
        return !Regions.captured(List.of(loop.region(1))).isEmpty();
    }

    private final Map<Operation, ScanLoops.Saved> scans = new IdentityHashMap<>();

    /** A fori-style loop: emitted with per-iteration carry stacks; the op itself stands for its rule. */
    private Operation forwardScan(Operation op, long trips) {
        List<Value> init = new ArrayList<>();
        for (Value v : op.operands()) init.add(primal(v));
        ScanLoops.Saved[] saved = new ScanLoops.Saved[1];
        List<Value> res = ScanLoops.forward(builder, op, init, trips, saved, primal);
        for (int i = 0; i < res.size(); i++) bind(op.result(i), res.get(i));
        scans.put(op, saved[0]);
        ops.add(op);
        clones.add(op);
        return op;
    }

    /** Uses {@code values} for {@code op}'s results downstream; its rule is applied to {@code clone}. */
    void reuse(Operation op, Operation clone, List<Value> values) {
        for (int i = 0; i < values.size(); i++) bind(op.result(i), values.get(i));
        ops.add(op);
        clones.add(clone);
    }

    void seed(Value orig, Value ct) { if (Backward.differentiable(orig.type())) accumulate(orig, ct); }

    Value cotangent(Value orig) { return cts.get(orig); }

    /** Cotangent reported for a value as the builder sees it (a cloned value, or one captured from outside). */
    void accumulateByPrimal(Value now, Value ct) {
        Value orig = original.get(now);
        accumulate(orig != null ? orig : now, ct);
    }

    private void accumulate(Value orig, Value ct) {
        if (!Backward.differentiable(orig.type())) return;
        Value prev = cts.get(orig);
        if (prev == null && (!primal.containsKey(orig) || aliased.contains(orig))) outside.add(orig);
        cts.put(orig, prev == null ? ct : bw.add(prev, ct));
    }

    /** Values defined outside the swept ops that received a cotangent, in first-seen order. */
    List<Value> outsideWithCotangents() { return outside; }

    /** The backward sweep over every op forwarded so far, in reverse. */
    void backward() {
        for (int k = clones.size() - 1; k >= 0; k--) {
            Operation op = ops.get(k), c = clones.get(k);
            List<Value> g = new ArrayList<>(op.numResults());
            boolean any = false;
            for (Value r : op.results()) { Value ct = cts.get(r); g.add(ct); any |= ct != null; }
            if (!any || op.attributes().contains(Autodiff.STOP_GRADIENT)) continue;
            OpDef def = op.def();
            if (def != null && def.extension(NonDifferentiable.class) != null) continue;
            VjpRule rule = def == null ? null : def.extension(VjpRule.class);
            if (rule == null) throw new Hlo4jException("cannot differentiate '" + op.name() + "': it has no VJP rule yet", op.location());
            bw.at(op.location());
            for (int i = 0; i < g.size(); i++) {
                if (g.get(i) == null && Backward.differentiable(c.result(i).type())) g.set(i, bw.zerosLike(c.result(i)));
            }
            Remat remat = remats.get(op);
            ScanLoops.Saved scan = scans.get(op);
            List<Value> in = remat != null ? backwardRemat(op, remat, g)
                    : scan != null ? ScanLoops.backward(bw, op, g, scan) : rule.vjp(bw, c, g);
            if (in.size() != op.numOperands()) {
                throw new IllegalStateException("VJP rule of " + op.name() + " returned " + in.size() + " cotangents for "
                        + op.numOperands() + " operands");
            }
            for (int i = 0; i < in.size(); i++) if (in.get(i) != null) accumulate(op.operand(i), in.get(i));
        }
    }
}
