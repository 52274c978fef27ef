package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/** Values an op's regions read that are defined outside them (loop bodies and branches capture freely). */
final class Captures {
    private Captures() {}

    static List<Value> of(Operation op) {
        if (op.regions().isEmpty()) return List.of();
        return of(op.regions());
    }

    static List<Value> of(Region r) { return of(List.of(r)); }

    private static List<Value> of(List<Region> regions) {
        Set<Value> defined = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Region r : regions) define(r, defined);
        Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Value> out = new ArrayList<>();
        for (Region r : regions) use(r, defined, seen, out);
        return out;
    }

    private static void define(Region r, Set<Value> defined) {
        for (Block b : r.blocks()) {
            defined.addAll(b.arguments());
            for (Operation op : b.operations()) {
                defined.addAll(op.results());
                for (Region inner : op.regions()) define(inner, defined);
            }
        }
    }

    private static void use(Region r, Set<Value> defined, Set<Value> seen, List<Value> out) {
        for (Block b : r.blocks()) {
            for (Operation op : b.operations()) {
                for (Value v : op.operands()) if (!defined.contains(v) && seen.add(v)) out.add(v);
                for (Region inner : op.regions()) use(inner, defined, seen, out);
            }
        }
    }
}
