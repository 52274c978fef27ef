package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.OpResult;
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
 * Control flow and calls. Branches and callees are recomputed inside the backward program (their inner values are
 * not saved). A while loop is differentiated by recomputation: a counting copy of the loop gives the trip count N;
 * the backward loop runs k = N-1 .. 0, each step recomputing the carry of iteration k from the initial carry (the
 * "save nothing" policy: O(N^2) body evaluations, O(1) memory) and applying the body's VJP to it. Values the
 * regions capture from outside get their cotangents through {@link Backward#captured}.
 */
final class ControlFlowRules {
    private ControlFlowRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.if", ControlFlowRules::branches);
        in.rule("stablehlo.case", ControlFlowRules::branches);
        in.rule("func.call", ControlFlowRules::call);
        in.rule("stablehlo.while", ControlFlowRules::whileLoop);
        in.rule("stablehlo.optimization_barrier", (b, op, g) -> g);
    }

    private static List<Value> branches(Backward b, Operation op, List<Value> g) {
        List<Value> caps = Regions.captured(op.regions());
        List<Value> none = Arrays.asList(new Value[op.numOperands()]);
        if (caps.isEmpty()) return none;
        List<Region> rs = new ArrayList<>();
        for (Region r : op.regions()) {
            IrBuilder nb = b.ir().nested();
            Sweep s = Regions.differentiate(nb, r.entry(), List.of(), g, b.sweep());
            List<Value> outs = new ArrayList<>();
            for (Value c : caps) outs.add(Regions.ctOrZeros(s, c, c));
            rs.add(nb.sealRegion(outs, "stablehlo.return", b.loc()));
        }
        List<Type> types = caps.stream().map(Value::type).toList();
        List<OpResult> res = b.ir().emit(op.name(), List.of(op.operand(0)), Map.of(), rs, types, b.loc());
        for (int i = 0; i < caps.size(); i++) b.captured(caps.get(i), res.get(i));
        return none;
    }

    private static List<Value> call(Backward b, Operation op, List<Value> g) {
        if (op.attr(Checkpoint.CUSTOM_VJP) instanceof SymbolRefAttr bwd) {
            List<Value> in = new ArrayList<>(op.operands());
            in.addAll(op.results());
            in.addAll(g);
            return new ArrayList<>(b.ir().emit("func.call", in, Map.of("callee", bwd), List.of(), op.operandTypes(), b.loc()));
        }
        Operation f = Calls.callee(op, b.sweep().symbols, "differentiate");
        Block body = f.region(0).entry();
        Sweep s = Regions.differentiate(b.ir(), body, op.operands(), g, b.sweep());
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < op.numOperands(); i++) out.add(s.cotangent(body.argument(i)));
        return out;
    }

    private static List<Value> whileLoop(Backward b, Operation op, List<Value> g) {
        Block cond = op.region(0).entry(), body = op.region(1).entry();
        List<Value> init = op.operands();
        int n = init.size();
        TensorType i64 = TensorType.scalar(IntegerType.I64);
        List<Type> carryTypes = init.stream().map(Value::type).toList();

        // 1. Trip count: the loop again with a counter.
        List<Type> countTypes = new ArrayList<>(List.of(i64));
        countTypes.addAll(carryTypes);
        IrBuilder cb = b.ir().nested();
        List<Value> cArgs = addArgs(cb, countTypes, b);
        Region countCond = cb.sealRegion(Regions.inline(cb, cond, cArgs.subList(1, n + 1)), "stablehlo.return", b.loc());
        IrBuilder bb = b.ir().nested();
        List<Value> bArgs = addArgs(bb, countTypes, b);
        List<Value> next = new ArrayList<>();
        next.add(new Backward(bb, b.sweep()).add(bArgs.get(0), new Backward(bb, b.sweep()).full(i64, 1)));
        next.addAll(Regions.inline(bb, body, bArgs.subList(1, n + 1)));
        Region countBody = bb.sealRegion(next, "stablehlo.return", b.loc());
        List<Value> countInit = new ArrayList<>(List.of(b.full(i64, 0)));
        countInit.addAll(init);
        Value trips = b.ir().emit("stablehlo.while", countInit, Map.of(), List.of(countCond, countBody), countTypes, b.loc()).get(0);

        // 2. Backward loop over k = N-1 .. 0 carrying (k, carry cotangents, captured-value accumulators).
        List<Value> caps = Regions.captured(List.of(op.region(1)));
        List<Integer> diff = new ArrayList<>();
        for (int i = 0; i < n; i++) if (Backward.differentiable(carryTypes.get(i))) diff.add(i);
        List<Type> bwTypes = new ArrayList<>(List.of(i64));
        for (int i : diff) bwTypes.add(carryTypes.get(i));
        for (Value c : caps) bwTypes.add(c.type());
        List<Value> bwInit = new ArrayList<>(List.of(b.sub(trips, b.full(i64, 1))));
        for (int i : diff) bwInit.add(g.get(i));
        for (Value c : caps) bwInit.add(b.zerosLike(c));

        IrBuilder kc = b.ir().nested();
        List<Value> kcArgs = addArgs(kc, bwTypes, b);
        Backward kcb = new Backward(kc, b.sweep());
        Region bwCond = kc.sealRegion(List.of(kcb.compare("GE", kcArgs.get(0), kcb.full(i64, 0))), "stablehlo.return", b.loc());

        IrBuilder kb = b.ir().nested();
        List<Value> kArgs = addArgs(kb, bwTypes, b);
        Backward kbb = new Backward(kb, b.sweep());
        kbb.at(b.loc());
        Value k = kArgs.get(0);
        List<Value> carryK = recompute(kb, kbb, cond, body, init, k, carryTypes);
        List<Value> seeds = Arrays.asList(new Value[n]);
        for (int j = 0; j < diff.size(); j++) seeds.set(diff.get(j), kArgs.get(1 + j));
        Sweep s = Regions.differentiate(kb, body, carryK, seeds, b.sweep());
        List<Value> kNext = new ArrayList<>(List.of(kbb.sub(k, kbb.full(i64, 1))));
        for (int i : diff) kNext.add(Regions.ctOrZeros(s, body.argument(i), carryK.get(i)));
        for (int j = 0; j < caps.size(); j++) {
            Value acc = kArgs.get(1 + diff.size() + j), ct = s.cotangent(caps.get(j));
            kNext.add(ct == null ? acc : kbb.add(acc, ct));
        }
        Region bwBody = kb.sealRegion(kNext, "stablehlo.return", b.loc());
        List<OpResult> res = b.ir().emit("stablehlo.while", bwInit, Map.of(), List.of(bwCond, bwBody), bwTypes, b.loc());

        List<Value> out = Arrays.asList(new Value[n]);
        for (int j = 0; j < diff.size(); j++) out.set(diff.get(j), res.get(1 + j));
        for (int j = 0; j < caps.size(); j++) b.captured(caps.get(j), res.get(1 + diff.size() + j));
        return out;
    }

    /** The carry entering iteration k: the body applied k times to the initial carry (an inner while). */
    private static List<Value> recompute(IrBuilder kb, Backward kbb, Block cond, Block body, List<Value> init, Value k,
                                         List<Type> carryTypes) {
        TensorType i64 = TensorType.scalar(IntegerType.I64);
        List<Type> ts = new ArrayList<>(List.of(i64));
        ts.addAll(carryTypes);
        IrBuilder rc = kb.nested();
        List<Value> rcArgs = addArgs(rc, ts, kbb);
        Region rCond = rc.sealRegion(List.of(new Backward(rc, kbb.sweep()).compare("LT", rcArgs.get(0), k)), "stablehlo.return", kbb.loc());
        IrBuilder rb = kb.nested();
        List<Value> rbArgs = addArgs(rb, ts, kbb);
        List<Value> next = new ArrayList<>();
        Backward rbb = new Backward(rb, kbb.sweep());
        next.add(rbb.add(rbArgs.get(0), rbb.full(i64, 1)));
        next.addAll(Regions.inline(rb, body, rbArgs.subList(1, ts.size())));
        Region rBody = rb.sealRegion(next, "stablehlo.return", kbb.loc());
        List<Value> rInit = new ArrayList<>(List.of(kbb.full(i64, 0)));
        rInit.addAll(init);
        List<OpResult> r = kb.emit("stablehlo.while", rInit, Map.of(), List.of(rCond, rBody), ts, kbb.loc());
        return new ArrayList<>(r.subList(1, r.size()));
    }

    private static List<Value> addArgs(IrBuilder b, List<Type> ts, Backward at) {
        List<Value> out = new ArrayList<>();
        for (Type t : ts) out.add(b.addArgument(t, at.loc()));
        return out;
    }
}
