package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Transposes folded into the dot that reads them, as XLA's TransposeFolding pass does at compile time, but at run
 * time only: the module (and so a user's dump) keeps its {@code transpose} ops. Autodiff's dot rule emits a transpose
 * before each gradient dot; a {@code dot_general} or {@code chlo.ragged_dot} brings its operands to its own layout
 * anyway, so a transpose in front of it is a copy the dot can skip by reading the transpose's operand with the
 * permutation folded into its dimension numbers.
 *
 * <p>A transpose folds when its result has exactly one reader, a {@code dot_general} or {@code ragged_dot} at the top
 * level of the same block (one operand slot; nothing in a nested region reads it), and neither op has a quantized
 * type. The interpreter then skips the transpose and hands the dot a {@link Folded}: the transpose's operand, looked up
 * where the transpose stood (so the liveness of that operand is as before), and the permutation. The dot kernels
 * compute from it exactly the arrays they computed from the transposed tensor, so every bit is as before; a form a
 * kernel does not read transposed materializes the transpose first, with the transpose kernel.
 */
final class TransposeFolding {
    private TransposeFolding() {}

    static final Set<String> DOTS = Set.of("stablehlo.dot_general", "chlo.ragged_dot");

    /** A transpose not evaluated: its operand and permutation, and its result type. */
    record Folded(Tensor x, long[] perm, TensorType type) {
        /** The transposed tensor, as the transpose op computes it. */
        Tensor materialize() { return ShapeKernels.transpose(x, type, perm); }

        /** Dimensions of the transposed tensor, as dimensions of {@link #x}. */
        long[] map(long[] dims) {
            long[] o = new long[dims.length];
            for (int i = 0; i < dims.length; i++) o[i] = perm[(int) dims[i]];
            return o;
        }

        int[] map(int[] dims) {
            int[] o = new int[dims.length];
            for (int i = 0; i < dims.length; i++) o[i] = (int) perm[dims[i]];
            return o;
        }
    }

    /** The transposes of block {@code b} that fold into their reader. */
    static Set<Operation> plan(Block b) {
        Map<Value, Integer> uses = new IdentityHashMap<>();
        Map<Value, Operation> reader = new IdentityHashMap<>();
        for (Operation op : b.operations()) {
            for (Value v : op.operands()) {
                uses.merge(v, 1, Integer::sum);
                reader.put(v, op);
            }
            NestedOperands.forEach(op, v -> uses.merge(v, 2, Integer::sum)); // read in a region: never folds
        }
        List<Operation> out = new ArrayList<>();
        for (Operation op : b.operations()) {
            if (!op.name().equals("stablehlo.transpose") || op.numOperands() != 1 || op.numResults() != 1) continue;
            Value r = op.result(0);
            Operation user = reader.get(r);
            if (uses.getOrDefault(r, 0) != 1 || user == null || !DOTS.contains(user.name())) continue;
            if (!(r.type() instanceof TensorType) || !(op.operand(0).type() instanceof TensorType)) continue;
            if (Quant.needsDequantizedEvaluation(op) || Quant.needsDequantizedEvaluation(user)) continue;
            int slot = user.operands().indexOf(r);
            if (slot != 0 && slot != 1) continue; // ragged_dot's group sizes: not a dot operand
            out.add(op);
        }
        if (out.isEmpty()) return Set.of();
        Set<Operation> s = Collections.newSetFromMap(new IdentityHashMap<>());
        s.addAll(out);
        return s;
    }

    /**
     * Runs dot {@code op} with operands 0 and 1 given as tensors or {@link Folded} transposes (the others, ragged_dot's
     * group sizes, in {@code rest}).
     */
    static List<RtValue> evalDot(Operation op, Object lhs, Object rhs, List<RtValue> rest) {
        return switch (op.name()) {
            case "stablehlo.dot_general" -> List.of(DotKernels.dotGeneralFolded(op, lhs, rhs));
            case "chlo.ragged_dot" -> RaggedDot.evalFolded(op, lhs, rhs, (Tensor) rest.get(0));
            default -> throw InterpreterException.at(op, "no folded form for " + op.name());
        };
    }

    /** The operand as a tensor: a folded transpose materialized. */
    static Tensor tensor(Object x) { return x instanceof Folded f ? f.materialize() : (Tensor) x; }
}
