package io.hlo4j.mlir.verify;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies a module: structure first, then each op's own verifier. Throws {@link VerificationException} at
 * the first error, naming the op, its location and the rule. Structure means:
 * <ul>
 * <li>every operand is defined earlier in the same block or in an enclosing region (an op's own results are
 *     not visible in its regions); regions of isolated-from-above ops ({@code func.func}, {@code builtin.module})
 *     see no outer values. hlo4j's IR has no branches, so a value of one block is not visible in a sibling
 *     block of the same region;</li>
 * <li>blocks of registered ops' regions end in a terminator (except {@code builtin.module}'s), and terminators
 *     are only last;</li>
 * <li>symbol names are unique within a module;</li>
 * <li>{@code func.call} names a {@code func.func} of the module whose signature matches the call's types.</li>
 * </ul>
 * Ops no dialect declares are errors when their dialect is one hlo4j registers, and allowed otherwise (as
 * {@code --allow-unregistered-dialect} does).
 */
public final class ModuleVerifier {
    private ModuleVerifier() {}

    /** Ops whose regions are isolated from above even when no OpDef says so (they are structural). */
    private static final Set<String> ISOLATED = Set.of(Module.OP_NAME, "func.func");
    /** Ops whose blocks need no terminator (MLIR's NoTerminator). */
    private static final Set<String> NO_TERMINATOR = Set.of(Module.OP_NAME);

    public static void verify(Module module) {
        verify(module.op());
    }

    /** Verifies {@code root} and everything nested in it; {@code root}'s operands are not checked. */
    public static void verify(Operation root) {
        new Structure(root).regionsOf(root, null);
        Walker.walk(root, ModuleVerifier::verifyCalls);
        Walker.walk(root, ModuleVerifier::verifyOp);
    }

    /** Values visible at a point: those of the current block and, through {@code parent}, enclosing blocks. */
    private record Scope(Scope parent, Map<Value, Boolean> defined, boolean isolatedBoundary) {
        Scope(Scope parent, boolean isolatedBoundary) { this(parent, new IdentityHashMap<>(), isolatedBoundary); }

        /** 1 visible, 0 not defined anywhere enclosing, -1 defined only above an isolation boundary. */
        int lookup(Value v) {
            boolean crossed = false;
            for (Scope s = this; s != null; s = s.parent) {
                if (s.defined.containsKey(v)) return crossed ? -1 : 1;
                if (s.isolatedBoundary) crossed = true;
            }
            return 0;
        }
    }

    private static final class Structure {
        private final Operation root;

        Structure(Operation root) { this.root = root; }

        void regionsOf(Operation op, Scope enclosing) {
            boolean isolated = isIsolated(op);
            boolean needsTerminator = op.def() != null && !NO_TERMINATOR.contains(op.name());
            if (isSymbolTable(op)) checkSymbols(op);
            for (int ri = 0; ri < op.regions().size(); ri++) {
                Region r = op.region(ri);
                for (int bi = 0; bi < r.blocks().size(); bi++) {
                    Block b = r.blocks().get(bi);
                    Scope scope = new Scope(enclosing, isolated || enclosing == null);
                    for (BlockArgument a : b.arguments()) scope.defined.put(a, Boolean.TRUE);
                    List<Operation> ops = b.operations();
                    for (int oi = 0; oi < ops.size(); oi++) {
                        Operation inner = ops.get(oi);
                        checkOperands(inner, scope);
                        OpDef d = inner.def();
                        if (d != null && d.has(OpTrait.TERMINATOR) && oi != ops.size() - 1) {
                            throw error(inner, "is a terminator but is followed by '" + ops.get(oi + 1).name()
                                    + "' in its block");
                        }
                        regionsOf(inner, scope);
                        for (OpResult res : inner.results()) scope.defined.put(res, Boolean.TRUE);
                    }
                    if (needsTerminator) checkTerminator(op, ri, bi, b);
                }
            }
        }

        private void checkOperands(Operation op, Scope scope) {
            for (int i = 0; i < op.numOperands(); i++) {
                Value v = op.operand(i);
                int state = scope.lookup(v);
                if (state == 1) continue;
                if (state == -1) {
                    throw error(op, "operand #" + i + " (" + describe(v) + ") is defined outside the isolated-from-above "
                            + "op enclosing this use; regions of '" + isolatingParent(op) + "' cannot capture values");
                }
                throw error(op, "operand #" + i + " (" + describe(v) + ") does not dominate this use: it is not "
                        + "defined earlier in the same block or in an enclosing region");
            }
        }

        private String isolatingParent(Operation op) {
            for (Operation p = parentOp(op); p != null; p = parentOp(p)) if (isIsolated(p)) return p.name();
            return root.name();
        }

        private void checkTerminator(Operation op, int ri, int bi, Block b) {
            Operation last = b.terminator();
            String where = "block #" + bi + " of region #" + ri;
            if (last == null) throw error(op, where + " is empty; it must end in a terminator");
            OpDef d = last.def();
            if (d != null && !d.has(OpTrait.TERMINATOR)) {
                throw error(op, where + " ends in '" + last.name() + "', which is not a terminator");
            }
        }

        private void checkSymbols(Operation table) {
            Map<String, Operation> seen = new HashMap<>();
            for (Region r : table.regions()) {
                for (Block b : r.blocks()) {
                    for (Operation o : b.operations()) {
                        String name = SymbolTable.symbolName(o);
                        if (name == null) continue;
                        Operation prev = seen.putIfAbsent(name, o);
                        if (prev != null) {
                            throw error(o, "redefines symbol @" + name + " (first defined by '" + prev.name()
                                    + "' at " + prev.location().describe() + ")");
                        }
                    }
                }
            }
        }
    }

    private static boolean isIsolated(Operation op) {
        OpDef d = op.def();
        return ISOLATED.contains(op.name()) || (d != null && d.has(OpTrait.ISOLATED_FROM_ABOVE));
    }

    private static boolean isSymbolTable(Operation op) { return op.name().equals(Module.OP_NAME); }

    private static Operation parentOp(Operation op) {
        Block b = op.parent();
        if (b == null || b.parent() == null) return null;
        return b.parent().parent();
    }

    /**
     * {@code func.call}: the callee exists in the nearest enclosing symbol table and the types agree. The rule
     * itself is the func dialect's ({@link io.hlo4j.mlir.dialect.func.FuncOps#verifyCall}); this only finds the table.
     */
    private static void verifyCalls(Operation op) {
        if (!op.name().equals("func.call")) return;
        Operation table = parentOp(op);
        while (table != null && !isSymbolTable(table)) table = parentOp(table);
        if (table == null) throw error(op, "is not inside a module, so its callee cannot be resolved");
        io.hlo4j.mlir.dialect.func.FuncOps.verifyCall(op, SymbolTable.of(table));
    }

    private static void verifyOp(Operation op) {
        OpDef d = op.def();
        if (d == null) {
            if (op.name().equals(Module.OP_NAME)) return;
            String dialect = op.dialect();
            if (OpRegistry.global().dialects().contains(dialect)) {
                throw error(op, "is not an op of the '" + dialect + "' dialect (no such op is registered)");
            }
            return;
        }
        try {
            d.verifier().verify(op);
        } catch (VerificationException e) {
            // a rule that had no op at hand (OpCheck's shared checks) leaves the place to the op it was checking
            throw e.location().isPlaced() ? e : e.at(op.location());
        } catch (Hlo4jException e) {
            throw new VerificationException(op.name(), e.getMessage(), op.location());
        } catch (RuntimeException e) {
            throw new VerificationException(op.name(), "verifier failed with " + e, op.location());
        }
    }

    private static VerificationException error(Operation op, String message) {
        return new VerificationException(op.name(), message, op.location());
    }

    private static String describe(Value v) {
        return switch (v) {
            case OpResult r -> "result #" + r.index() + " of '" + r.owner().name() + "' at " + r.owner().location().describe();
            case BlockArgument a -> "argument #" + a.index() + " of a block"
                    + (a.owner() != null && a.owner().parent() != null && a.owner().parent().parent() != null
                    ? " in '" + a.owner().parent().parent().name() + "'" : "");
        };
    }
}
