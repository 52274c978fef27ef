package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Helpers the region rules share: captured values, inlining a block, differentiating a block in a sweep. Public for
 * {@link #inline(IrBuilder, Block, List, Cloner.Options)}, the block copy the partitioner's manual bodies use too.
 */
public final class Regions {
    private Regions() {}

    /** Differentiable values the regions read but do not define (closed over from the enclosing scope). */
    static List<Value> captured(List<Region> regions) {
        List<Value> out = new ArrayList<>();
        for (Value v : Cloner.captured(regions)) if (Backward.differentiable(v.type())) out.add(v);
        return out;
    }

    private static void collect(Region r, Set<Value> defined, Set<Value> used) {
        for (Block b : r.blocks()) {
            defined.addAll(b.arguments());
            for (Operation op : b.operations()) {
                used.addAll(op.operands());
                defined.addAll(op.results());
                for (Region inner : op.regions()) collect(inner, defined, used);
            }
        }
    }

    /** Every value {@code blk} (with nested regions) reads but does not define. */
    static List<Value> capturedAll(Block blk) {
        Set<Value> defined = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Value> used = new LinkedHashSet<>();
        defined.addAll(blk.arguments());
        for (Operation op : blk.operations()) {
            used.addAll(op.operands());
            defined.addAll(op.results());
            for (Region inner : op.regions()) collect(inner, defined, used);
        }
        List<Value> out = new ArrayList<>();
        for (Value v : used) if (!defined.contains(v)) out.add(v);
        return out;
    }

    /** Copies {@code blk}'s ops into {@code b} with its arguments bound to {@code args}; returns what it yields. */
    static List<Value> inline(IrBuilder b, Block blk, List<? extends Value> args) { return inline(b, blk, args, (Map<Value, Value>) null); }

    /** As above; {@code outer} renames the values the block captures (an enclosing sweep's primal map), or null. */
    static List<Value> inline(IrBuilder b, Block blk, List<? extends Value> args, Map<Value, Value> outer) {
        Map<Value, Value> map = new IdentityHashMap<>();
        if (outer != null) for (Value v : capturedAll(blk)) if (outer.containsKey(v)) map.put(v, outer.get(v));
        return inline(b, blk, args, map, Cloner.Options.KEEP);
    }

    /**
     * Copies {@code blk}'s ops into {@code b} with its arguments bound to {@code args}, each op copied with the
     * variants {@code o} names (dropped attributes, fresh channels, what an operand from outside the block becomes);
     * returns what it yields, a value from outside resolved by {@code o} too.
     */
    public static List<Value> inline(IrBuilder b, Block blk, List<? extends Value> args, Cloner.Options o) {
        return inline(b, blk, args, new IdentityHashMap<>(), o);
    }

    private static List<Value> inline(IrBuilder b, Block blk, List<? extends Value> args, Map<Value, Value> map, Cloner.Options o) {
        for (int i = 0; i < args.size(); i++) map.put(blk.argument(i), args.get(i));
        Operation term = blk.terminator();
        for (Operation op : blk.operations()) {
            if (op == term) break;
            Operation c = b.append(Cloner.copy(op, map, o), op.location());
            for (int i = 0; i < c.numResults(); i++) map.put(op.result(i), c.result(i));
        }
        List<Value> out = new ArrayList<>();
        for (Value v : term.operands()) {
            Value m = map.get(v);
            out.add(m != null ? m : o.outside().resolve(v, term));
        }
        return out;
    }

    /**
     * Recomputes {@code blk} in {@code b} from {@code args}, then backpropagates {@code resultCts} (one per
     * yielded value, null for none) through it. The returned sweep holds the cotangents of the block's
     * arguments and of the values it captured.
     */
    static Sweep differentiate(IrBuilder b, Block blk, List<? extends Value> args, List<Value> resultCts, Sweep outer) {
        return differentiate(b, blk, args, resultCts, outer, null);
    }

    /** As above; {@code rename} maps captured values to what the builder sees (their cotangents keep the old keys). */
    static Sweep differentiate(IrBuilder b, Block blk, List<? extends Value> args, List<Value> resultCts, Sweep outer,
                               Map<Value, Value> rename) {
        Sweep s = new Sweep(b, outer.symbols);
        if (rename != null) for (Value v : capturedAll(blk)) if (rename.containsKey(v)) s.alias(v, rename.get(v));
        for (int i = 0; i < args.size(); i++) s.bind(blk.argument(i), args.get(i));
        Operation term = blk.terminator();
        for (Operation op : blk.operations()) if (op != term) s.forward(op);
        s.context().at(term.location());
        for (int i = 0; i < term.numOperands(); i++) if (resultCts.get(i) != null) s.seed(term.operand(i), resultCts.get(i));
        s.backward();
        return s;
    }

    /** The cotangent of {@code v} in sweep {@code s}, or zeros of its type. */
    static Value ctOrZeros(Sweep s, Value v, Value like) {
        Value ct = s.cotangent(v);
        return ct != null ? ct : s.context().zerosLike(like);
    }
}
