package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Element-wise f32/f64 ops of one block evaluated as fused chains, reductions run in the same pass, and outputs
 * written into dead operands.
 *
 * <p><b>Chains.</b> When the result of an element-wise op has exactly one use, an element-wise op of the same
 * type at the top level of the same block, the two run as one loop: each chunk of elements goes through every op
 * of the chain while it is in cache, and the intermediate tensor is never allocated. Each op keeps its own loop
 * ({@link FloatLoops}, {@link BroadcastFusion}) and its own rounding, so results are bit-identical to the unfused ops.
 *
 * <p><b>Groups.</b> Chains and {@code reduce}s over trailing dimensions (with a primitive combiner) that read each
 * other's results, directly or through a deferred row broadcast, run as one pass over chunks of whole rows: for
 * each chunk, every member in program order, on the rows of that chunk. Every member reads only the rows it
 * writes (element-wise ops the same elements, a row broadcast and a reduction the same rows), so this computes
 * what running the members one after the other computes, while the chunk stays in cache. Softmax's
 * {@code max}, {@code exp(x - max)}, {@code sum} and {@code e / sum} become one pass over x. A group runs at the
 * position of its last member; a value it produces may not be read before that by anything outside it.
 *
 * <p><b>In place.</b> A chain may write its result into the storage of an operand of its first op when that
 * operand is dead afterwards and nothing else can see its storage: the operand was produced by a chain of this
 * block (a fresh array, never a constant, an argument or a view), the chain is its last reader (readers in the
 * same group come earlier in the pass), the chain reads it exactly once, and every use of it is at the top level
 * of the block by an op that never returns a view of its operand (element-wise ops, {@code reduce}).
 */
final class ElementwiseFusion {
    private ElementwiseFusion() {}

    static { Kernels.init(); }

    /**
     * A chain of element-wise ops, each consuming the previous one's result, or one reduction ({@code reduce});
     * {@code inPlace} is the operand index of a chain's first op whose storage the result takes, or -1.
     */
    record Unit(List<Operation> ops, boolean reduce, int inPlace) {
        Operation last() { return ops.get(ops.size() - 1); }
    }

    /** Units in evaluation order over the same elements; {@code rowLength} > 0 when reductions cut them into rows. */
    record Group(List<Unit> units, int rowLength) {
        Operation last() { return units.get(units.size() - 1).last(); }
    }

    /**
     * The deferred broadcasts (and which op defines each deferred value), the ops that run with a later group,
     * the groups keyed by the op at whose position they run, and the position at which each op runs where that is
     * not its own: a group's members at its last member's, a deferred broadcast at its last user's.
     */
    record Plan(Set<Operation> broadcasts, Map<Value, Operation> broadcastOf, Set<Operation> skipped, Map<Operation, Group> groups,
                Map<Operation, Integer> runAt) {
        /** Where op {@code op}, at position {@code index} of its block, runs. */
        int runsAt(Operation op, int index) { return runAt.getOrDefault(op, index); }
    }

    static final Plan NONE = new Plan(Set.of(), Map.of(), Set.of(), Map.of(), Map.of());

    private static final Set<String> NO_VIEW_USERS = Set.of("stablehlo.reduce");

    /** What plan() knows about a block. */
    private static final class Facts {
        final List<Operation> ops;
        final Map<Operation, Integer> index = new IdentityHashMap<>();
        final Map<Value, Operation> definer = new IdentityHashMap<>();
        final Map<Value, List<Operation>> users = new IdentityHashMap<>(); // top-level operand uses
        final Map<Value, List<Operation>> holders = new IdentityHashMap<>(); // top-level ops whose regions read the value
        final Set<Operation> broadcasts;
        final Map<Value, Operation> broadcastOf = new IdentityHashMap<>();
        final Map<Operation, Unit> unitOf = new IdentityHashMap<>(); // every member op -> its unit
        final Map<Operation, Integer> evalAt = new IdentityHashMap<>(); // where ops of units (and deferred broadcasts) run

        Facts(Block b) {
            ops = b.operations();
            broadcasts = BroadcastFusion.deferrable(b);
            for (Operation bc : broadcasts) broadcastOf.put(bc.result(0), bc);
            for (int i = 0; i < ops.size(); i++) {
                Operation op = ops.get(i);
                index.put(op, i);
                for (Value r : op.results()) definer.put(r, op);
                for (Value v : op.operands()) users.computeIfAbsent(v, k -> new ArrayList<>()).add(op);
                NestedOperands.forEach(op, v -> holders.computeIfAbsent(v, k -> new ArrayList<>()).add(op));
            }
        }

        List<Operation> users(Value v) { return users.getOrDefault(v, List.of()); }

        int at(Operation op) { return evalAt.getOrDefault(op, index.get(op)); }
    }

    /** The plan of block {@code b} (computed once per block by the caller's cache). */
    static Plan plan(Block b) {
        Facts f = new Facts(b);
        Set<Operation> eligible = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Operation op : f.ops) if (eligible(op)) eligible.add(op);
        if (eligible.isEmpty()) {
            if (f.broadcasts.isEmpty()) return NONE;
            placeBroadcasts(f);
            return new Plan(f.broadcasts, f.broadcastOf, Set.of(), Map.of(), Collections.unmodifiableMap(f.evalAt));
        }

        // link each eligible op to its single eligible user (at most one predecessor per user)
        Map<Operation, Operation> next = new IdentityHashMap<>(), prev = new IdentityHashMap<>();
        for (Operation op : f.ops) {
            if (!eligible.contains(op)) continue;
            Value r = op.result(0);
            List<Operation> us = f.users(r);
            if (us.size() != 1 || f.holders.containsKey(r)) continue;
            Operation u = us.get(0);
            if (!eligible.contains(u) || prev.containsKey(u) || !u.result(0).type().equals(r.type())) continue;
            next.put(op, u);
            prev.put(u, op);
        }
        Set<Operation> skipped = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Unit> units = new ArrayList<>(); // program order of their last ops
        for (Operation op : f.ops) {
            Unit u = null;
            if (eligible.contains(op) && !next.containsKey(op)) {
                List<Operation> c = new ArrayList<>();
                for (Operation p = op; p != null; p = prev.get(p)) c.add(p);
                Collections.reverse(c);
                for (int i = 0; i < c.size() - 1; i++) skipped.add(c.get(i));
                u = new Unit(List.copyOf(c), false, -1);
            } else if (rowLength(op, f, skipped) > 0) {
                u = new Unit(List.of(op), true, -1);
            }
            if (u != null) {
                units.add(u);
                for (Operation m : u.ops()) f.unitOf.put(m, u);
            }
        }
        // groups: greedily, in program order, a unit joins the open group when it reads what the group produces
        List<List<Unit>> groups = new ArrayList<>();
        List<Unit> open = new ArrayList<>();
        for (Unit u : units) {
            if (!open.isEmpty() && canJoin(open, u, f)) {
                open.add(u);
                continue;
            }
            if (!open.isEmpty()) groups.add(open);
            open = new ArrayList<>(List.of(u));
        }
        if (!open.isEmpty()) groups.add(open);
        groups.removeIf(g -> g.size() == 1 && g.get(0).reduce()); // a lone reduction runs as usual
        for (List<Unit> g : groups) {
            int at = f.index.get(g.get(g.size() - 1).last());
            for (Unit u : g) for (Operation m : u.ops()) f.evalAt.put(m, at);
        }
        placeBroadcasts(f);
        Map<Operation, Group> out = new IdentityHashMap<>();
        for (List<Unit> g : groups) {
            List<Unit> done = new ArrayList<>();
            int len = 0;
            for (int k = 0; k < g.size(); k++) {
                Unit u = g.get(k);
                if (u.reduce()) {
                    len = rowLength(u.last(), f, Set.of()); // checked when the unit was formed
                    done.add(u);
                } else {
                    done.add(new Unit(u.ops(), false, inPlaceOperand(u, g, k, f)));
                }
            }
            Group grp = new Group(List.copyOf(done), len);
            out.put(grp.last(), grp);
            for (Unit u : g) for (Operation m : u.ops()) if (m != grp.last()) skipped.add(m);
        }
        return new Plan(f.broadcasts, f.broadcastOf, skipped, out, Collections.unmodifiableMap(f.evalAt));
    }

    /** A deferred broadcast runs (its operand is read) where its last user runs; users are never themselves deferred. */
    private static void placeBroadcasts(Facts f) {
        for (Operation bc : f.broadcasts) {
            int p = -1;
            for (Operation u : f.users(bc.result(0))) p = Math.max(p, f.at(u));
            f.evalAt.put(bc, p);
        }
    }

    /** A unary or binary f32/f64 element-wise op with this interpreter's kernel, its operands of its result type. */
    private static boolean eligible(Operation op) {
        boolean unary = ElementwiseKernels.FLOAT_UNARY.containsKey(op.name()) && op.numOperands() == 1;
        boolean binary = ElementwiseKernels.FLOAT_BINARY.containsKey(op.name()) && op.numOperands() == 2;
        if (!(unary || binary) || op.numResults() != 1 || !op.regions().isEmpty()) return false;
        if (!(op.result(0).type() instanceof TensorType rt) || !rt.hasStaticShape()) return false;
        if (!(rt.elementType() instanceof FloatType ft) || (ft.kind() != FloatKind.F32 && ft.kind() != FloatKind.F64)) return false;
        for (Value v : op.operands()) if (!v.type().equals(rt)) return false;
        return Kernels.lookup(op) == Kernels.all().get(op.name()); // no other kernel attached
    }

    /**
     * The row length of a one-operand f32/f64 {@code reduce} over trailing dimensions with a primitive combiner, whose
     * operand and init value are materialised (not deferred); -1 for any other op.
     */
    private static int rowLength(Operation r, Facts f, Set<Operation> skipped) {
        if (!r.name().equals("stablehlo.reduce") || r.numOperands() != 2 || r.numResults() != 1 || r.regions().size() != 1) return -1;
        for (Value v : r.operands()) {
            Operation d = f.definer.get(v);
            if (d != null && (skipped.contains(d) || f.broadcasts.contains(d))) return -1;
        }
        if (!(r.operand(0).type() instanceof TensorType xt) || !xt.hasStaticShape()) return -1;
        if (!(xt.elementType() instanceof FloatType ft) || (ft.kind() != FloatKind.F32 && ft.kind() != FloatKind.F64)) return -1;
        if (!(r.result(0).type() instanceof TensorType rt) || !rt.hasStaticShape() || !rt.elementType().equals(ft)) return -1;
        if (!(r.operand(1).type() instanceof TensorType it) || it.rank() != 0 || !it.elementType().equals(ft)) return -1;
        if (ScalarOp.of(r.region(0), ft) == null) return -1;
        long[] dims;
        try {
            dims = Attrs.required(r, "dimensions");
        } catch (RuntimeException e) {
            return -1; // the reduce kernel reports it
        }
        int rank = xt.rank();
        boolean[] reduced = new boolean[rank];
        for (long d : dims) {
            if (d < 0 || d >= rank || reduced[(int) d]) return -1;
            reduced[(int) d] = true;
        }
        long len = 1;
        for (int d = 0; d < rank; d++) {
            if (reduced[d] != (d >= rank - dims.length)) return -1; // not a trailing suffix
            if (reduced[d]) len *= xt.shape()[d];
        }
        if (dims.length == 0 || len <= 0 || len > Integer.MAX_VALUE || rt.numElements() * len != xt.numElements()) return -1;
        // a pass over fewer than 4 rows runs on one core: for a large tensor, better the chain on all cores alone
        if (rt.numElements() < 4 && xt.numElements() >= 4L * FloatLoops.CHUNK) return -1;
        return (int) len;
    }

    private static long elements(Unit u) {
        Value v = u.reduce() ? u.last().operand(0) : u.last().result(0);
        return ((TensorType) v.type()).numElements();
    }

    private static Set<Value> produced(List<Unit> g) {
        Set<Value> s = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Unit u : g) s.add(u.last().result(0));
        return s;
    }

    /** The value an operand reads: the source of a deferred broadcast, else itself. */
    private static Value source(Value v, Facts f) {
        Operation bc = f.broadcastOf.get(v);
        return bc == null ? v : bc.operand(0);
    }

    /** Whether unit {@code u} may join the open group {@code g} (whose position then becomes u's). */
    private static boolean canJoin(List<Unit> g, Unit u, Facts f) {
        if (elements(u) != elements(g.get(0))) return false;
        Set<Value> prod = produced(g);
        int len = 0;
        for (Unit m : g) if (m.reduce()) len = rowLength(m.last(), f, Set.of());
        boolean reads = false;
        if (u.reduce()) {
            int ul = rowLength(u.last(), f, Set.of());
            if (len != 0 && ul != len) return false;
            if (prod.contains(u.last().operand(1))) return false; // the init value must exist before the pass
            reads = prod.contains(u.last().operand(0));
        } else {
            for (Operation op : u.ops()) {
                int deferred = 0;
                for (Value v : op.operands()) {
                    if (f.broadcastOf.containsKey(v)) deferred++;
                    if (prod.contains(source(v, f))) reads = true;
                }
                if (deferred == 2) return false; // materialised when the pass starts: must not read the group's values
            }
        }
        if (!reads) return false;
        // nothing outside the group may read a value of the group before the group runs
        List<Unit> all = new ArrayList<>(g);
        all.add(u);
        Set<Operation> members = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Unit m : all) members.addAll(m.ops());
        int at = f.index.get(u.last());
        for (Value w : produced(all)) {
            for (Operation y : f.holders.getOrDefault(w, List.of())) if (f.index.get(y) <= at) return false;
            for (Operation y : f.users(w)) {
                if (members.contains(y)) continue;
                if (f.broadcasts.contains(y)) {
                    for (Operation z : f.users(y.result(0))) if (!members.contains(z) && evalIndex(z, f) <= at) return false;
                } else if (evalIndex(y, f) <= at) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Where an op outside the group being formed runs: a chain member with its chain's last op. */
    private static int evalIndex(Operation op, Facts f) {
        Unit u = f.unitOf.get(op);
        return f.index.get(u == null ? op : u.last());
    }

    /** The operand of {@code c}'s first op whose storage its result may take (see the class comment), or -1. */
    private static int inPlaceOperand(Unit c, List<Unit> group, int k, Facts f) {
        Operation first = c.ops().get(0);
        Value out = c.last().result(0);
        int groupAt = f.index.get(group.get(group.size() - 1).last());
        for (int i = 0; i < first.numOperands(); i++) {
            Value v = first.operand(i);
            Operation d = f.definer.get(v);
            Unit du = d == null ? null : f.unitOf.get(d);
            if (du == null || du.reduce() || du.last() != d || f.holders.containsKey(v) || !v.type().equals(out.type())) continue;
            boolean ok = true;
            int reads = 0;
            for (Operation y : f.users(v)) {
                Unit yu = f.unitOf.get(y);
                if (yu == null && !NO_VIEW_USERS.contains(y.name())) { ok = false; break; }
                if (yu == c) {
                    for (Value o : y.operands()) if (o == v) reads++;
                    continue;
                }
                int gi = group.indexOf(yu);
                if (yu != null && gi >= 0) {
                    if (gi > k) { ok = false; break; } // read later in the pass
                } else if (f.at(y) >= groupAt) {
                    ok = false;
                    break;
                }
            }
            if (ok && reads == 1) return i;
        }
        return -1;
    }

    /** Runs group {@code g} and binds every value it produces in {@code scope}. */
    static void eval(Group g, Scope scope, Plan plan) {
        List<Unit> units = g.units();
        int nu = units.size(), len = g.rowLength();
        if (len < 0) throw InterpreterException.at(g.last(), "fused group with rows of " + len + " elements");
        FloatLoops.Range[] ranges = new FloatLoops.Range[nu];
        boolean[] rows = new boolean[nu];
        int n = 0;
        for (int k = 0; k < nu; k++) {
            Unit u = units.get(k);
            if (u.reduce()) {
                Operation r = u.last();
                Tensor x = operand(r, 0, scope), init = operand(r, 1, scope);
                TensorType rt = (TensorType) r.result(0).type();
                ScalarOp fast = ScalarOp.of(r.region(0), rt.elementType());
                Tensor acc = Tensor.blank(rt);
                if (init.size != 1 || init.re == null || x.re == null || (long) acc.size * len != x.size) {
                    throw InterpreterException.at(r, "reduce of " + x.type + " in rows of " + len + " into " + rt + " with init " + init.type);
                }
                java.util.Arrays.fill(acc.re, init.re[0]);
                double[] xs = x.re, as = acc.re;
                ranges[k] = (r0, r1) -> ReduceKernels.reduceRuns(fast, xs, as, len, r0, r1);
                rows[k] = true;
                scope.bind(r.result(0), acc);
                n = x.size;
            } else {
                TensorType rt = (TensorType) u.last().result(0).type();
                n = Math.toIntExact(rt.numElements());
                double[] out = u.inPlace() >= 0 ? operand(u.ops().get(0), u.inPlace(), scope).re : new double[n];
                if (out.length != n) throw InterpreterException.at(u.ops().get(0), "operand has " + out.length + " elements, the result " + rt + " " + n);
                FloatLoops.Range[] steps = new FloatLoops.Range[u.ops().size()];
                for (int s = 0; s < steps.length; s++) {
                    Value fromChain = s == 0 ? null : u.ops().get(s - 1).result(0);
                    steps[s] = step(u.ops().get(s), fromChain, out, (FloatType) rt.elementType(), scope, plan, rt);
                }
                ranges[k] = steps.length == 1 ? steps[0] : (lo, hi) -> {
                    for (FloatLoops.Range st : steps) st.run(lo, hi);
                };
                scope.bind(u.last().result(0), Tensor.raw(rt, null, out, null));
            }
        }
        long opsPerItem = 0; // polls count every member's work: a chunk of a long chain is long
        for (Unit u : units) opsPerItem += u.ops().size();
        if (len == 0) {
            StopCheck.range(n, FloatLoops.CHUNK, opsPerItem, nu == 1 ? ranges[0] : (lo, hi) -> {
                for (FloatLoops.Range r : ranges) r.run(lo, hi);
            });
            return;
        }
        // chunks of whole rows; each member in program order on the chunk's rows while they are in cache
        int rowCount = n / len;
        StopCheck.range(rowCount, Math.max(1, FloatLoops.CHUNK / len), opsPerItem * len, (r0, r1) -> {
            for (int k = 0; k < nu; k++) {
                if (rows[k]) ranges[k].run(r0, r1);
                else ranges[k].run(r0 * len, r1 * len);
            }
        });
    }

    private static Tensor operand(Operation op, int k, Scope scope) {
        RtValue x = scope.lookup(op.operand(k));
        if (!(x instanceof Tensor t)) throw InterpreterException.at(op, "operand " + k + " has no tensor value");
        return t;
    }

    /** One op's loop writing {@code out}; its operand {@code fromChain} (the previous op's result) is read from {@code out}. */
    private static FloatLoops.Range step(Operation op, Value fromChain, double[] out, FloatType ft, Scope scope, Plan plan, TensorType rt) {
        int n = out.length;
        if (op.numOperands() == 1) {
            double[] in = fromChain != null ? out : sized(op, operand(op, 0, scope), n).re;
            return FloatLoops.unaryRange(op.name(), ft, in, out, ElementwiseKernels.FLOAT_UNARY.get(op.name()));
        }
        Value av = op.operand(0), bv = op.operand(1);
        Operation abc = plan.broadcastOf().get(av), bbc = plan.broadcastOf().get(bv);
        Tensor a = abc == null ? null : operand(abc, 0, scope), b = bbc == null ? null : operand(bbc, 0, scope);
        double[] x = av == fromChain ? out : a != null ? null : sized(op, operand(op, 0, scope), n).re;
        double[] y = bv == fromChain ? out : b != null ? null : sized(op, operand(op, 1, scope), n).re;
        if (a != null && b != null) { // two deferred operands: materialise the left one
            x = ShapeKernels.broadcast(a, rt, iotaDims(a.rank())).re;
            a = null;
        }
        boolean f32 = ft.kind() == FloatKind.F32;
        if (a != null) return BroadcastFusion.rowRange(op, true, f32, y, a.re, out);
        if (b != null) return BroadcastFusion.rowRange(op, false, f32, x, b.re, out);
        return FloatLoops.binaryRange(op.name(), ft, x, y, out, ElementwiseKernels.FLOAT_BINARY.get(op.name()));
    }

    private static Tensor sized(Operation op, Tensor t, int n) {
        if (t.size != n || t.re == null) throw InterpreterException.at(op, "operand " + t.type + " does not match the result's " + n + " elements");
        return t;
    }

    private static long[] iotaDims(int n) {
        long[] d = new long[n];
        for (int i = 0; i < n; i++) d[i] = i;
        return d;
    }
}
