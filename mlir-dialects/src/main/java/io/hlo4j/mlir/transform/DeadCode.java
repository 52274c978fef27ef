package io.hlo4j.mlir.transform;

import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.TokenType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dead-code elimination, as jaxpr DCE and MLIR/XLA DCE do before a program reaches a device: an op none of whose
 * results is used is removed, repeatedly (a dead chain goes as a whole), inside regions too (reduce bodies, loop
 * bodies, branches). Liveness is a mark from the ops that must stay: terminators of kept ops, ops with effects
 * ({@link #mustKeep}) and, transitively, the producers of every operand of a kept op and every op enclosing a kept
 * op. Function arguments, signatures and symbols are never touched (ops without results, {@code func.func} among
 * them, always stay). The IR is immutable, so a module with dead ops is rebuilt; one without is returned as is.
 */
public final class DeadCode {
    private DeadCode() {}

    /** The module without dead ops; {@code module} itself when it has none. */
    public static Module eliminate(Module module) {
        Operation op = eliminate(module.op());
        return op == module.op() ? module : new Module(op);
    }

    /**
     * {@code root} (a module or a function, say) without the dead ops nested in it; {@code root} itself when none is
     * dead. A rebuilt root has no parent block, so it can be placed in a new module.
     */
    public static Operation eliminate(Operation root) {
        Set<Operation> live = live(root);
        int[] dead = {0};
        Walker.walk(root, op -> { if (!live.contains(op)) dead[0]++; });
        if (dead[0] == 0) return root;
        return rebuild(root, live, new IdentityHashMap<>());
    }

    /** How many ops nested in {@code root} (regions included) are dead: what {@link #eliminate} removes. */
    public static int countDead(Operation root) {
        Set<Operation> live = live(root);
        int[] dead = {0};
        Walker.walk(root, op -> { if (!live.contains(op)) dead[0]++; });
        return dead[0];
    }

    /**
     * Whether an op stays whatever uses its results: effects a removal would lose or change. Collectives (a device
     * waits for its peers), tokens (they order effects), {@code stablehlo.rng} (hidden generator state: removing a
     * draw changes later ones), {@code func.call} (the callee is not analysed), a side-effecting custom_call, any op
     * without results but terminators (func.func, sdy.mesh, check ops) and ops no dialect declares (their effects are
     * unknown).
     */
    public static boolean mustKeep(Operation op) {
        OpDef def = op.def();
        if (def == null) return true;
        // a terminator stays exactly when the op that runs its region does
        if (def.has(OpTrait.TERMINATOR)) return false;
        if (op.numResults() == 0) return true;
        if (def.has(OpTrait.HAS_SIDE_EFFECT) || def.has(OpTrait.COLLECTIVE)) return true;
        switch (op.name()) {
            case "stablehlo.rng", "func.call" -> { return true; }
            case "stablehlo.custom_call" -> {
                if (BoolAttr.TRUE.equals(op.attr("has_side_effect"))) return true;
            }
            default -> { }
        }
        for (Type t : op.resultTypes()) if (isToken(t)) return true;
        for (Type t : op.operandTypes()) if (isToken(t)) return true;
        return false;
    }

    private static boolean isToken(Type t) {
        return t instanceof TokenType;
    }

    /** The ops that stay: marked from {@link #mustKeep} ops and the root, through operands, enclosing ops and terminators. */
    private static Set<Operation> live(Operation root) {
        Set<Operation> live = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Operation> work = new ArrayDeque<>();
        live.add(root);
        work.add(root);
        Walker.walk(root, op -> { if (mustKeep(op) && live.add(op)) work.add(op); });
        while (!work.isEmpty()) {
            Operation op = work.poll();
            for (Value v : op.operands()) {
                if (v instanceof OpResult r && live.add(r.owner())) work.add(r.owner());
            }
            // an op kept inside a region keeps the op that runs that region
            if (op != root && op.parent() != null && op.parent().parent() != null) {
                Operation enclosing = op.parent().parent().parent();
                if (enclosing != null && live.add(enclosing)) work.add(enclosing);
            }
            // a kept op's regions yield through their terminators
            for (Region r : op.regions()) {
                for (Block b : r.blocks()) {
                    Operation t = b.terminator();
                    if (t != null && live.add(t)) work.add(t);
                }
            }
        }
        return live;
    }

    private static Operation rebuild(Operation op, Set<Operation> live, Map<Value, Value> map) {
        Operation.Builder b = Operation.builder(op.name()).location(op.location()).properties(op.properties())
                .attributes(op.attributes()).resultTypes(op.resultTypes());
        for (Value v : op.operands()) b.operand(map.getOrDefault(v, v));
        for (Region r : op.regions()) b.region(rebuild(r, live, map));
        return b.build();
    }

    private static Region rebuild(Region r, Set<Operation> live, Map<Value, Value> map) {
        return Region.rebuild(r, map, inner -> live.contains(inner) ? rebuild(inner, live, map) : null);
    }
}
