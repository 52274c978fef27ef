package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Control flow, as JAX batches it. {@code if}/{@code case} on an unbatched selector stay branches (each branch
 * batched, results batched where any branch's is); on a batched selector every branch runs and a select picks each
 * example's result. {@code while} with an unbatched condition keeps its trip count; with a batched one it runs while
 * any example is still going and each example keeps its carry once its own condition is false. Carries that become
 * batched in the body are batched from the start (found by iterating to a fixed point).
 */
final class ControlFlowBatchRules {
    private ControlFlowBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("stablehlo.while", ControlFlowBatchRules::whileLoop);
        in.rule("stablehlo.if", ControlFlowBatchRules::branches);
        in.rule("stablehlo.case", ControlFlowBatchRules::branches);
    }

    private static List<Batched> whileLoop(Batcher b, Operation op, List<Batched> a) {
        int n = a.size();
        Block cond = op.region(0).entry(), body = op.region(1).entry();
        boolean[] bat = new boolean[n];
        for (int i = 0; i < n; i++) bat[i] = a.get(i).batched();
        boolean predBatched = false;
        for (boolean changed = true; changed; ) {   // at most n + 1 rounds: a carry only ever becomes batched
            changed = false;
            boolean[] outBatched = new boolean[n], pred = new boolean[1];
            b.region(cond, types(b, op, bat), bdims(bat), (c, args, outs) -> { pred[0] = outs.get(0).batched(); return Batched.values(outs); });
            b.region(body, types(b, op, bat), bdims(bat), (c, args, outs) -> {
                for (int i = 0; i < n; i++) outBatched[i] = outs.get(i).batched();
                return Batched.values(outs);
            });
            predBatched = pred[0];
            for (int i = 0; i < n; i++) {
                if (!bat[i] && (outBatched[i] || predBatched)) { bat[i] = true; changed = true; }
            }
        }
        List<Value> init = new ArrayList<>();
        for (int i = 0; i < n; i++) init.add(bat[i] ? b.materialize(a.get(i), 0) : a.get(i).value());
        List<Type> ts = types(b, op, bat);
        Region c = b.region(cond, ts, bdims(bat), (child, args, outs) -> List.of(anyTrue(child, outs.get(0))));
        boolean selectDone = predBatched;
        Region bd = b.region(body, ts, bdims(bat), (child, args, outs) -> {
            List<Value> ys = new ArrayList<>();
            for (int i = 0; i < n; i++) ys.add(bat[i] ? child.materialize(outs.get(i), 0) : outs.get(i).value());
            if (!selectDone) return ys;
            // Examples whose condition is already false keep their carry.
            Batched going = child.inline(cond, args).get(0);
            for (int i = 0; i < n; i++) {
                ys.set(i, select(child, going, Batched.of(ys.get(i), 0), args.get(i)).value());
            }
            return ys;
        });
        var rs = b.emitLike(op, init, Map.of(), List.of(c, bd), ts);
        List<Batched> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(Batched.of(rs.get(i), bat[i] ? 0 : Batched.NONE));
        return out;
    }

    /** The loop condition for the whole batch: any example still going. */
    private static Value anyTrue(Batcher b, Batched pred) {
        if (!pred.batched()) return pred.value();
        Value f = b.hlo().constant(TensorType.scalar(IntegerType.I1), 0, b.loc());
        return b.hlo().reduce(b.moveTo(pred, 0), f, new long[]{0}, "or", b.loc());
    }

    private static List<Type> types(Batcher b, Operation op, boolean[] bat) {
        List<Type> ts = new ArrayList<>();
        for (int i = 0; i < bat.length; i++) ts.add(bat[i] ? b.batchedType(op.operand(i).type(), 0) : op.operand(i).type());
        return ts;
    }

    private static List<Integer> bdims(boolean[] bat) {
        List<Integer> ds = new ArrayList<>();
        for (boolean x : bat) ds.add(x ? 0 : Batched.NONE);
        return ds;
    }


    /** if (operand: the predicate) and case (operand: the branch index). */
    private static List<Batched> branches(Batcher b, Operation op, List<Batched> a) {
        Batched sel = a.get(0);
        int nr = op.numResults();
        if (sel.batched()) return selectBranches(b, op, sel);
        boolean[] bat = new boolean[nr];
        for (Region r : op.regions()) {
            b.region(r.entry(), List.of(), List.of(), (c, args, outs) -> {
                for (int i = 0; i < nr; i++) bat[i] |= outs.get(i).batched();
                return Batched.values(outs);
            });
        }
        List<Region> rs = new ArrayList<>();
        for (Region r : op.regions()) {
            rs.add(b.region(r.entry(), List.of(), List.of(), (c, args, outs) -> {
                List<Value> ys = new ArrayList<>();
                for (int i = 0; i < nr; i++) ys.add(bat[i] ? c.materialize(outs.get(i), 0) : outs.get(i).value());
                return ys;
            }));
        }
        List<Type> ts = new ArrayList<>();
        for (int i = 0; i < nr; i++) ts.add(bat[i] ? b.batchedType(op.result(i).type(), 0) : op.result(i).type());
        var res = b.emitLike(op, List.of(sel.value()), Map.of(), rs, ts);
        List<Batched> out = new ArrayList<>();
        for (int i = 0; i < nr; i++) out.add(Batched.of(res.get(i), bat[i] ? 0 : Batched.NONE));
        return out;
    }

    /** A batched selector: every branch runs, each example takes its own branch's results. */
    private static List<Batched> selectBranches(Batcher b, Operation op, Batched sel) {
        List<List<Batched>> outs = new ArrayList<>();
        for (Region r : op.regions()) outs.add(b.inline(r.entry(), List.of()));
        int nr = op.numResults();
        List<Batched> res = new ArrayList<>();
        if (op.name().equals("stablehlo.if")) {
            for (int i = 0; i < nr; i++) res.add(select(b, sel, outs.get(0).get(i), outs.get(1).get(i)));
            return res;
        }
        // case: an index outside [0, n) runs the last branch, so the chain starts from it.
        int nb = outs.size();
        TensorType it = sel.type();
        for (int i = 0; i < nr; i++) {
            Batched acc = outs.get(nb - 1).get(i);
            for (int k = nb - 2; k >= 0; k--) {
                Value kc = b.hlo().constant(TensorType.scalar(it.elementType()), k, b.loc());
                Value kb = b.hlo().broadcastInDim(kc, it.shape(), new long[0], b.loc());
                Batched is = Batched.of(b.hlo().compare("EQ", sel.value(), kb, null, b.loc()), sel.bdim());
                acc = select(b, is, outs.get(k).get(i), acc);
            }
            res.add(acc);
        }
        return res;
    }

    /** Per example {@code pred ? t : f}, {@code pred} a batched scalar per example; the result leads with the batch. */
    static Batched select(Batcher b, Batched pred, Batched t, Batched f) {
        Value tv = b.materialize(t, 0), fv = b.materialize(f, 0);
        Value p = b.moveTo(pred, 0);
        TensorType tt = (TensorType) tv.type();
        if (tt.rank() > 1) p = b.hlo().broadcastInDim(p, tt.withElementType(IntegerType.I1).shape(), new long[]{0}, b.loc());
        return Batched.of(b.hlo().select(p, tv, fv, b.loc()), 0);
    }
}
