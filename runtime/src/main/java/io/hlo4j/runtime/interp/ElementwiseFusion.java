package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Element-wise f32/f64 ops of one block evaluated as fused chains, with outputs written into dead operands.
 *
 * <p><b>Chains.</b> When the result of an element-wise op has exactly one use, an element-wise op of the same
 * type at the top level of the same block, the two run as one loop: each chunk of elements goes through every op
 * of the chain while it is in cache, and the intermediate tensor is never allocated. Softmax's
 * {@code exponential(subtract(x, broadcast(max)))} reads x once and writes once. Each op keeps its own loop
 * ({@link FloatLoops}, {@link BroadcastFusion}) and its own rounding, so results are bit-identical to the unfused ops.
 *
 * <p><b>In place.</b> A chain may write its result into the storage of an operand of its first op when that
 * operand is dead afterwards and nothing else can see its storage: the operand was produced by a chain of this
 * block (a fresh array, never a constant, an argument or a view), the chain is its last reader, the chain reads it
 * exactly once, and every use of it is at the top level of the block by an op that never returns a view of its
 * operand (element-wise ops, deferred broadcasts, {@code reduce}). Softmax's {@code e / broadcast(sum(e))} then
 * reuses e's array instead of allocating and zeroing a new one.
 *
 * <p>Positions: a deferred op (a chain member or a deferred broadcast) reads its operands when the op that consumes
 * it runs, so "last reader" is decided on those evaluation positions.
 */
final class ElementwiseFusion {
    private ElementwiseFusion() {}

    static { Kernels.init(); }

    /** Ops evaluated as chains (keyed by their last op), chain members skipped until then, deferred broadcasts. */
    record Plan(Set<Operation> broadcasts, Set<Operation> skipped, Map<Operation, Chain> chains) {
        boolean isEmpty() { return broadcasts.isEmpty() && chains.isEmpty(); }
    }

    /**
     * {@code ops} in evaluation order, each consuming the previous one's result; {@code inPlace} is the operand
     * index of the first op whose storage the result takes, or -1 for a fresh array; {@code reduces} are reductions
     * of the result over its trailing dimensions, computed chunk by chunk while the rows are in cache.
     */
    record Chain(List<Operation> ops, int inPlace, List<Operation> reduces) {}

    static final Plan NONE = new Plan(Set.of(), Set.of(), Map.of());

    private static final Set<String> NO_VIEW_USERS = Set.of("stablehlo.reduce");

    /** The plan of block {@code b} (computed once per block by the caller's cache). */
    static Plan plan(Block b) {
        List<Operation> ops = b.operations();
        Set<Operation> broadcasts = BroadcastFusion.deferrable(b);
        Map<Value, Operation> definer = new IdentityHashMap<>();
        Map<Operation, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < ops.size(); i++) {
            Operation op = ops.get(i);
            index.put(op, i);
            for (Value r : op.results()) definer.put(r, op);
        }
        // uses at the top level of the block; values read inside nested regions are never fused or overwritten
        Map<Value, List<Operation>> users = new IdentityHashMap<>();
        Set<Value> nested = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Operation op : ops) {
            for (Value v : op.operands()) users.computeIfAbsent(v, k -> new ArrayList<>()).add(op);
            for (Region r : op.regions()) markNested(r, nested);
        }
        Set<Operation> eligible = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Operation op : ops) if (eligible(op, broadcasts, definer)) eligible.add(op);
        if (eligible.isEmpty()) return broadcasts.isEmpty() ? NONE : new Plan(broadcasts, Set.of(), Map.of());

        // link each eligible op to its single eligible user (at most one predecessor per user)
        Map<Operation, Operation> next = new IdentityHashMap<>(), prev = new IdentityHashMap<>();
        for (Operation op : ops) {
            if (!eligible.contains(op)) continue;
            Value r = op.result(0);
            List<Operation> us = users.getOrDefault(r, List.of());
            if (us.size() != 1 || nested.contains(r)) continue;
            Operation u = us.get(0);
            if (!eligible.contains(u) || prev.containsKey(u) || !u.result(0).type().equals(r.type())) continue;
            next.put(op, u);
            prev.put(u, op);
        }
        Map<Operation, Chain> chains = new IdentityHashMap<>();
        Set<Operation> skipped = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<Operation, List<Operation>> chainOps = new IdentityHashMap<>();
        for (Operation op : ops) {
            if (!eligible.contains(op) || next.containsKey(op)) continue; // not the last op of a chain
            List<Operation> c = new ArrayList<>();
            for (Operation p = op; p != null; p = prev.get(p)) c.add(p);
            Collections.reverse(c);
            for (int i = 0; i < c.size() - 1; i++) skipped.add(c.get(i));
            chainOps.put(op, c);
        }
        // evaluation position of every op: a chain member runs with its chain's last op; a deferred broadcast is read
        // by its users (themselves chain members)
        Map<Operation, Integer> pos = new IdentityHashMap<>();
        for (Map.Entry<Operation, List<Operation>> e : chainOps.entrySet()) {
            for (Operation m : e.getValue()) pos.put(m, index.get(e.getKey()));
        }
        // reductions of a chain's result over trailing dimensions run with the chain (and so read at its position)
        Map<Operation, List<Operation>> reduces = new IdentityHashMap<>();
        for (Map.Entry<Operation, List<Operation>> e : chainOps.entrySet()) {
            Operation last = e.getKey();
            for (Operation u : users.getOrDefault(last.result(0), List.of())) {
                if (fusibleReduce(u, last, index, definer, skipped, broadcasts) && !reduces.getOrDefault(last, List.of()).contains(u)) {
                    reduces.computeIfAbsent(last, k -> new ArrayList<>()).add(u);
                    skipped.add(u);
                    pos.put(u, index.get(last));
                }
            }
        }
        for (Operation bc : broadcasts) {
            int p = -1;
            for (Operation u : users.getOrDefault(bc.result(0), List.of())) p = Math.max(p, pos.getOrDefault(u, index.get(u)));
            pos.put(bc, p);
        }
        for (Map.Entry<Operation, List<Operation>> e : chainOps.entrySet()) {
            List<Operation> c = e.getValue();
            chains.put(e.getKey(), new Chain(List.copyOf(c), inPlaceOperand(c, index.get(e.getKey()), definer, users, nested,
                    chainOps, broadcasts, pos, index), List.copyOf(reduces.getOrDefault(e.getKey(), List.of()))));
        }
        return new Plan(broadcasts, skipped, chains);
    }

    private static void markNested(Region r, Set<Value> nested) {
        for (Block blk : r.blocks()) {
            for (Operation op : blk.operations()) {
                nested.addAll(op.operands());
                for (Region inner : op.regions()) markNested(inner, nested);
            }
        }
    }

    /** A unary or binary f32/f64 element-wise op with this interpreter's kernel, its operands of its result type. */
    private static boolean eligible(Operation op, Set<Operation> broadcasts, Map<Value, Operation> definer) {
        boolean unary = ElementwiseKernels.FLOAT_UNARY.containsKey(op.name()) && op.numOperands() == 1;
        boolean binary = ElementwiseKernels.FLOAT_BINARY.containsKey(op.name()) && op.numOperands() == 2;
        if (!(unary || binary) || op.numResults() != 1 || !op.regions().isEmpty()) return false;
        if (!(op.result(0).type() instanceof TensorType rt) || !rt.hasStaticShape()) return false;
        if (!(rt.elementType() instanceof FloatType ft) || (ft.kind() != FloatKind.F32 && ft.kind() != FloatKind.F64)) return false;
        for (Value v : op.operands()) if (!v.type().equals(rt)) return false;
        if (Kernels.lookup(op) != Kernels.all().get(op.name())) return false; // someone attached another kernel
        return true;
    }

    /**
     * A one-operand {@code reduce} of {@code chainLast}'s result over its trailing dimensions with a primitive float
     * combiner, whose init value exists before the chain runs.
     */
    private static boolean fusibleReduce(Operation r, Operation chainLast, Map<Operation, Integer> index, Map<Value, Operation> definer,
                                         Set<Operation> skipped, Set<Operation> broadcasts) {
        if (!r.name().equals("stablehlo.reduce") || r.numOperands() != 2 || r.numResults() != 1 || r.operand(0) != chainLast.result(0)) return false;
        if (r.operand(1) == chainLast.result(0)) return false;
        TensorType xt = (TensorType) chainLast.result(0).type();
        if (!(r.result(0).type() instanceof TensorType rt) || !rt.hasStaticShape() || !rt.elementType().equals(xt.elementType())) return false;
        Operation initDef = definer.get(r.operand(1));
        if (initDef != null && (index.get(initDef) > index.get(chainLast) || skipped.contains(initDef) || broadcasts.contains(initDef))) return false;
        if (r.regions().size() != 1) return false;
        ScalarOp fast = ScalarOp.of(r.region(0), xt.elementType());
        if (fast == null) return false;
        long[] dims;
        try {
            dims = Attrs.required(r, "dimensions");
        } catch (RuntimeException e) {
            return false; // the reduce kernel reports it
        }
        int rank = xt.rank();
        boolean[] reduced = new boolean[rank];
        for (long d : dims) {
            if (d < 0 || d >= rank || reduced[(int) d]) return false;
            reduced[(int) d] = true;
        }
        long len = 1;
        for (int d = 0; d < rank; d++) {
            if (reduced[d] != (d >= rank - dims.length)) return false; // not a trailing suffix
            if (reduced[d]) len *= xt.shape()[d];
        }
        return dims.length > 0 && len > 0 && rt.numElements() * len == xt.numElements();
    }

    private static int inPlaceOperand(List<Operation> chain, int at, Map<Value, Operation> definer, Map<Value, List<Operation>> users,
                                      Set<Value> nested, Map<Operation, List<Operation>> chainOps, Set<Operation> broadcasts,
                                      Map<Operation, Integer> pos, Map<Operation, Integer> index) {
        Operation first = chain.get(0);
        Value out = chain.get(chain.size() - 1).result(0);
        for (int k = 0; k < first.numOperands(); k++) {
            Value v = first.operand(k);
            Operation d = definer.get(v);
            if (d == null || !chainOps.containsKey(d) || nested.contains(v) || !v.type().equals(out.type())) continue;
            boolean ok = true;
            int last = -1, readsHere = 0;
            for (Operation u : users.getOrDefault(v, List.of())) {
                if (!chainOps.containsKey(u) && !pos.containsKey(u) && !NO_VIEW_USERS.contains(u.name())) { ok = false; break; }
                if (broadcasts.contains(u)) { ok = false; break; } // read through a deferred broadcast: keep it simple
                int p = pos.getOrDefault(u, index.get(u));
                last = Math.max(last, p);
                if (chain.contains(u)) for (Value o : u.operands()) if (o == v) readsHere++;
            }
            if (ok && last == at && readsHere == 1) return k;
        }
        return -1;
    }

    /** Evaluates {@code chain}; operands are looked up in {@code scope}, deferred broadcasts' sources in {@code deferred}. */
    static Tensor eval(Chain chain, Scope scope, Map<Value, Tensor> deferred) {
        List<Operation> ops = chain.ops();
        Operation last = ops.get(ops.size() - 1);
        TensorType rt = (TensorType) last.result(0).type();
        FloatType ft = (FloatType) rt.elementType();
        int n = Math.toIntExact(rt.numElements());
        Operation first = ops.get(0);
        double[] out = chain.inPlace() >= 0 ? operand(first, chain.inPlace(), scope).re : new double[n];
        if (out.length != n) throw InterpreterException.at(first, "operand has " + out.length + " elements, the result " + rt + " " + n);
        FloatLoops.Range[] steps = new FloatLoops.Range[ops.size()];
        for (int s = 0; s < ops.size(); s++) {
            Operation op = ops.get(s);
            Value fromChain = s == 0 ? null : ops.get(s - 1).result(0);
            steps[s] = step(op, fromChain, out, ft, scope, deferred, rt);
        }
        FloatLoops.Range all = steps.length == 1 ? steps[0] : (lo, hi) -> {
            for (FloatLoops.Range st : steps) st.run(lo, hi);
        };
        if (chain.reduces().isEmpty()) {
            FloatLoops.forRange(n, all);
            return Tensor.raw(rt, null, out, null);
        }
        // rows of the reductions in whole chunks: each chunk runs the chain, then reduces its rows while in cache
        int nr = chain.reduces().size();
        ScalarOp[] fast = new ScalarOp[nr];
        Tensor[] acc = new Tensor[nr];
        int rows = Math.toIntExact(((TensorType) chain.reduces().get(0).result(0).type()).numElements());
        for (int k = 0; k < nr; k++) {
            Operation r = chain.reduces().get(k);
            fast[k] = ScalarOp.of(r.region(0), ft);
            acc[k] = Tensor.blank(r.result(0).type());
            Tensor init = operand(r, 1, scope);
            if (init.size != 1 || !init.elementType.equals(ft) || acc[k].size != rows) {
                throw InterpreterException.at(r, "reduce of " + rt + " needs a scalar " + ft + " init value, got " + init.type);
            }
            java.util.Arrays.fill(acc[k].re, init.re[0]);
        }
        int len = rows == 0 ? 1 : n / rows;
        FloatLoops.forRange(rows, Math.max(1, FloatLoops.CHUNK / len), (r0, r1) -> {
            all.run(r0 * len, r1 * len);
            for (int k = 0; k < nr; k++) ReduceKernels.reduceRuns(fast[k], out, acc[k].re, len, r0, r1);
        });
        for (int k = 0; k < nr; k++) scope.bind(chain.reduces().get(k).result(0), acc[k]);
        return Tensor.raw(rt, null, out, null);
    }

    private static Tensor operand(Operation op, int k, Scope scope) {
        RtValue x = scope.lookup(op.operand(k));
        if (!(x instanceof Tensor t)) throw InterpreterException.at(op, "operand " + k + " has no tensor value at " + op.location().describe());
        return t;
    }

    /** One op's loop writing {@code out}; its operand {@code fromChain} (the previous op's result) is read from {@code out}. */
    private static FloatLoops.Range step(Operation op, Value fromChain, double[] out, FloatType ft, Scope scope,
                                         Map<Value, Tensor> deferred, TensorType rt) {
        int n = out.length;
        if (op.numOperands() == 1) {
            double[] in = fromChain != null ? out : sized(op, operand(op, 0, scope), n).re;
            return FloatLoops.unaryRange(op.name(), ft, in, out, ElementwiseKernels.FLOAT_UNARY.get(op.name()));
        }
        Value av = op.operand(0), bv = op.operand(1);
        Tensor a = deferred == null ? null : deferred.get(av), b = deferred == null ? null : deferred.get(bv);
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
