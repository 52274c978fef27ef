package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * fori-style while loops (a carried integer counter starting at a constant, compared {@code LT} with a constant,
 * incremented by 1) have a static trip count N. Their forward pass stacks the carry entering every iteration into
 * [N, ...] buffers (saved residuals, as JAX's scan does), and the backward loop reads iteration k's carry back with
 * a dynamic_slice instead of recomputing it. Other while loops fall back to {@link ControlFlowRules}' recomputation.
 */
final class ScanLoops {
    private ScanLoops() {}

    /** The saved carries of one loop: stacks.get(i) holds carry i entering iterations 0..N-1. */
    record Saved(long trips, List<Value> stacks) {}

    /** The static trip count of a fori-style loop, or -1. */
    static long tripCount(Operation op) {
        if (!op.name().equals("stablehlo.while")) return -1;
        Block cond = op.region(0).entry(), body = op.region(1).entry();
        if (cond.operations().size() < 2) return -1;
        Value c = cond.terminator().operand(0);
        if (!(c instanceof OpResult cr) || !cr.owner().name().equals("stablehlo.compare")) return -1;
        Operation cmp = cr.owner();
        if (!(cmp.attr("comparison_direction") instanceof EnumAttr e) || !e.value().equals("LT")) return -1;
        int i = cond.arguments().indexOf(cmp.operand(0));
        Long limit = constant(cmp.operand(1));
        if (i < 0 || limit == null) return -1;
        Long start = constant(op.operand(i));
        if (start == null) return -1;
        Value next = body.terminator().operand(i);
        if (!(next instanceof OpResult nr) || !nr.owner().name().equals("stablehlo.add")) return -1;
        Operation add = nr.owner();
        Value a = add.operand(0), b = add.operand(1);
        boolean step1 = (a == body.argument(i) && Long.valueOf(1).equals(constant(b))) || (b == body.argument(i) && Long.valueOf(1).equals(constant(a)));
        return step1 ? Math.max(0, limit - start) : -1;
    }

    private static Long constant(Value v) {
        if (!(v instanceof OpResult r) || !r.owner().name().equals("stablehlo.constant")) return null;
        if (!(v.type() instanceof TensorType t) || t.rank() != 0 || !(t.elementType() instanceof IntegerType)) return null;
        return Attrs.denseLongs((DenseElementsAttr) r.owner().attr("value"))[0];
    }

    /** Emits the loop carrying one stack per carry; returns the loop's own results and the stacks. */
    static List<Value> forward(IrBuilder b, Operation op, List<Value> init, long trips, Saved[] saved, Map<Value, Value> outer) {
        Block cond = op.region(0).entry(), body = op.region(1).entry();
        int n = init.size();
        Backward bw = new Backward(b, null);
        bw.at(op.location());
        TensorType i64 = TensorType.scalar(IntegerType.I64);
        List<Type> ts = new ArrayList<>(List.of(i64));
        List<Value> in = new ArrayList<>(List.of(bw.full(i64, 0)));
        for (Value v : init) { ts.add(v.type()); in.add(v); }
        for (Value v : init) {
            TensorType t = Backward.tensor(v);
            long[] shape = new long[t.rank() + 1];
            shape[0] = Math.max(trips, 1);
            System.arraycopy(t.shape(), 0, shape, 1, t.rank());
            TensorType st = t.withShape(shape);
            ts.add(st);
            in.add(bw.full(st, 0));
        }
        IrBuilder cb = b.nested();
        List<Value> ca = args(cb, ts, bw);
        Region c = cb.sealRegion(Regions.inline(cb, cond, ca.subList(1, n + 1), outer), "stablehlo.return", op.location());
        IrBuilder bb = b.nested();
        List<Value> ba = args(bb, ts, bw);
        Backward bbw = new Backward(bb, null);
        bbw.at(op.location());
        Value k = ba.get(0);
        List<Value> out = new ArrayList<>(List.of(bbw.add(k, bbw.full(i64, 1))));
        out.addAll(Regions.inline(bb, body, ba.subList(1, n + 1), outer));
        for (int i = 0; i < n; i++) {
            Value carry = ba.get(1 + i), stack = ba.get(1 + n + i);
            TensorType t = Backward.tensor(carry);
            long[] one = new long[t.rank() + 1];
            one[0] = 1;
            System.arraycopy(t.shape(), 0, one, 1, t.rank());
            List<Value> starts = new ArrayList<>(List.of(k));
            for (int d = 0; d < t.rank(); d++) starts.add(bbw.full(i64, 0));
            out.add(bbw.hlo().dynamicUpdateSlice(stack, bbw.reshape(carry, one), starts, op.location()));
        }
        Region bd = bb.sealRegion(out, "stablehlo.return", op.location());
        List<OpResult> res = b.emit("stablehlo.while", in, Map.of(), List.of(c, bd), ts, op.location());
        saved[0] = new Saved(trips, new ArrayList<>(res.subList(1 + n, 1 + 2 * n)));
        return new ArrayList<>(res.subList(1, 1 + n));
    }

    /** The backward loop over k = N-1 .. 0, reading each iteration's carry from the stacks. */
    static List<Value> backward(Backward b, Operation op, List<Value> g, Saved saved) {
        Block body = op.region(1).entry();
        int n = op.numOperands();
        TensorType i64 = TensorType.scalar(IntegerType.I64);
        List<Type> carryTypes = op.operands().stream().map(Value::type).toList();
        List<Value> caps = Regions.captured(List.of(op.region(1)));
        List<Integer> diff = new ArrayList<>();
        for (int i = 0; i < n; i++) if (Backward.differentiable(carryTypes.get(i))) diff.add(i);
        List<Type> ts = new ArrayList<>(List.of(i64));
        for (int i : diff) ts.add(carryTypes.get(i));
        for (Value c : caps) ts.add(c.type());
        List<Value> in = new ArrayList<>(List.of(b.full(i64, saved.trips() - 1)));
        for (int i : diff) in.add(g.get(i));
        for (Value c : caps) in.add(b.zerosLike(b.sweep().primal(c)));

        IrBuilder cb = b.ir().nested();
        List<Value> ca = args(cb, ts, b);
        Backward cbw = new Backward(cb, b.sweep());
        cbw.at(b.loc()); // the loop condition carries the user's line too
        Region c = cb.sealRegion(List.of(cbw.compare("GE", ca.get(0), b.full(i64, 0))), "stablehlo.return", b.loc());
        IrBuilder kb = b.ir().nested();
        List<Value> ka = args(kb, ts, b);
        Backward kbw = new Backward(kb, b.sweep());
        kbw.at(b.loc());
        Value k = ka.get(0);
        List<Value> carryK = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TensorType t = Backward.tensor(op.operand(i));
            long[] one = new long[t.rank() + 1];
            one[0] = 1;
            System.arraycopy(t.shape(), 0, one, 1, t.rank());
            List<Value> starts = new ArrayList<>(List.of(k));
            for (int d = 0; d < t.rank(); d++) starts.add(kbw.full(i64, 0));
            carryK.add(kbw.reshape(kbw.hlo().dynamicSlice(saved.stacks().get(i), starts, one, b.loc()), t.shape()));
        }
        List<Value> seeds = Arrays.asList(new Value[n]);
        for (int j = 0; j < diff.size(); j++) seeds.set(diff.get(j), ka.get(1 + j));
        Sweep s = Regions.differentiate(kb, body, carryK, seeds, b.sweep(), b.sweep().primalMap());
        List<Value> next = new ArrayList<>(List.of(kbw.sub(k, kbw.full(i64, 1))));
        for (int i : diff) next.add(Regions.ctOrZeros(s, body.argument(i), carryK.get(i)));
        for (int j = 0; j < caps.size(); j++) {
            Value acc = ka.get(1 + diff.size() + j), ct = s.cotangent(caps.get(j));
            next.add(ct == null ? acc : kbw.add(acc, ct));
        }
        Region bd = kb.sealRegion(next, "stablehlo.return", b.loc());
        List<OpResult> res = b.ir().emit("stablehlo.while", in, Map.of(), List.of(c, bd), ts, b.loc());
        List<Value> out = Arrays.asList(new Value[n]);
        for (int j = 0; j < diff.size(); j++) out.set(diff.get(j), res.get(1 + j));
        for (int j = 0; j < caps.size(); j++) b.captured(caps.get(j), res.get(1 + diff.size() + j));
        return out;
    }

    private static List<Value> args(IrBuilder b, List<Type> ts, Backward at) {
        List<Value> out = new ArrayList<>();
        for (Type t : ts) out.add(b.addArgument(t, at.loc()));
        return out;
    }
}
