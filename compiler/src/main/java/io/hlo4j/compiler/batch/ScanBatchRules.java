package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.dialect.chlo.ChloScanOp;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * chlo.scan: every input and every output gets the batch dimension just after the scanned dimension {@code d}, so
 * {@code d} itself does not move and a slice along it has the batch at {@code d} (one {@code dimension} attribute
 * places inputs and outputs alike, hence an unbatched input is broadcast and every output slice is batched). Carries
 * are not scanned: they lead with the batch, and stay unbatched unless their init is batched or the body makes them
 * batched, found by iterating to a fixed point as for {@code while}. The body is batched once more with that pattern.
 */
final class ScanBatchRules {
    private ScanBatchRules() {}

    static void install(BatchRules.Installer in) {
        in.rule("chlo.scan", ScanBatchRules::scan);
    }

    private static List<Batched> scan(Batcher b, Operation op, List<Batched> a) {
        int nIn = ChloScanOp.numInputs(op), nOut = ChloScanOp.numOutputs(op), nCarry = a.size() - nIn;
        Block body = op.region(0).entry();
        int dim = (int) ChloScanOp.dimension(op);
        boolean[] bat = new boolean[nCarry];
        for (int i = 0; i < nCarry; i++) bat[i] = a.get(nIn + i).batched();
        for (boolean changed = true; changed; ) {       // a carry only ever becomes batched: at most nCarry + 1 rounds
            changed = false;
            boolean[] outBat = new boolean[nCarry];
            b.region(body, argTypes(b, body, nIn, bat, dim), bdims(nIn, bat, dim), (c, args, outs) -> {
                for (int i = 0; i < nCarry; i++) outBat[i] = outs.get(nOut + i).batched();
                return Batched.values(outs);
            });
            for (int i = 0; i < nCarry; i++) if (outBat[i] && !bat[i]) { bat[i] = true; changed = true; }
        }
        Region r = b.region(body, argTypes(b, body, nIn, bat, dim), bdims(nIn, bat, dim), (c, args, outs) -> {
            List<Value> ys = new ArrayList<>();
            for (int k = 0; k < nOut; k++) ys.add(c.materialize(outs.get(k), dim));
            for (int i = 0; i < nCarry; i++) {
                Batched o = outs.get(nOut + i);
                ys.add(bat[i] ? c.materialize(o, 0) : o.value());
            }
            return ys;
        });
        List<Value> xs = new ArrayList<>();
        for (int i = 0; i < nIn; i++) xs.add(b.materialize(a.get(i), dim + 1));
        for (int i = 0; i < nCarry; i++) xs.add(bat[i] ? b.materialize(a.get(nIn + i), 0) : a.get(nIn + i).value());
        List<Type> ts = new ArrayList<>();
        for (int k = 0; k < nOut; k++) ts.add(b.batchedType(op.result(k).type(), dim + 1));
        for (int i = 0; i < nCarry; i++) {
            Type t = op.result(nOut + i).type();
            ts.add(bat[i] ? b.batchedType(t, 0) : t);
        }
        var rs = b.emitLike(op, xs, Map.of(), List.of(r), ts);
        List<Batched> out = new ArrayList<>();
        for (int k = 0; k < rs.size(); k++) out.add(Batched.of(rs.get(k), k < nOut ? dim + 1 : bat[k - nOut] ? 0 : Batched.NONE));
        return out;
    }

    /** The body's arguments: input slices batched at {@code dim}, carries batched at 0 where {@code bat} says. */
    private static List<Type> argTypes(Batcher b, Block body, int nIn, boolean[] bat, int dim) {
        List<Type> ts = new ArrayList<>();
        for (int i = 0; i < body.arguments().size(); i++) {
            Type t = body.argument(i).type();
            ts.add(i < nIn ? b.batchedType(t, dim) : bat[i - nIn] ? b.batchedType(t, 0) : t);
        }
        return ts;
    }

    private static List<Integer> bdims(int nIn, boolean[] bat, int dim) {
        List<Integer> ds = new ArrayList<>();
        for (int i = 0; i < nIn; i++) ds.add(dim);
        for (boolean x : bat) ds.add(x ? 0 : Batched.NONE);
        return ds;
    }

}
