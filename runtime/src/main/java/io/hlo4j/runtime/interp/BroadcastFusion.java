package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Element-wise f32/f64 {@code add}, {@code subtract}, {@code multiply} and {@code divide} reading a
 * {@code broadcast_in_dim} operand without materialising it. Softmax's {@code x - broadcast(max)} and
 * {@code e / broadcast(sum)} otherwise write and re-read a full-size copy of a per-row value.
 *
 * <p>A broadcast is deferred only when it repeats each element of its operand over the trailing dimensions
 * (dims {@code [0, ..., r-1]}, the operand's shape the result's leading dimensions; a scalar operand too), and
 * every use of its result is one of those four ops at the top level of the same block, with the broadcast's
 * result type. Each fused element is the same expression rounded the same way as in {@link FloatLoops}, so
 * results are bit-identical to the unfused ops.
 */
final class BroadcastFusion {
    private BroadcastFusion() {}

    private static final Set<String> USERS = Set.of("stablehlo.add", "stablehlo.subtract", "stablehlo.multiply", "stablehlo.divide");

    /** The broadcasts of {@code b} that can be deferred (computed once per block by the caller's cache). */
    static Set<Operation> deferrable(Block b) {
        Set<Operation> candidates = null;
        for (Operation op : b.operations()) {
            if (rowBroadcast(op)) {
                if (candidates == null) candidates = new HashSet<>();
                candidates.add(op);
            }
        }
        if (candidates == null) return Set.of();
        Map<Value, Operation> byResult = new IdentityHashMap<>();
        for (Operation op : candidates) byResult.put(op.result(0), op);
        Map<Operation, Integer> goodUses = new IdentityHashMap<>();
        Set<Operation> bad = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Operation op : b.operations()) {
            boolean fusibleUser = USERS.contains(op.name()) && op.numOperands() == 2 && op.numResults() == 1
                    && op.operand(0) != op.operand(1);
            for (Value v : op.operands()) {
                Operation bc = byResult.get(v);
                if (bc == null) continue;
                if (fusibleUser && op.result(0).type().equals(v.type())) goodUses.merge(bc, 1, Integer::sum);
                else bad.add(bc);
            }
            NestedOperands.forEach(op, v -> { // a read inside a region needs the materialised result
                Operation bc = byResult.get(v);
                if (bc != null) bad.add(bc);
            });
        }
        Set<Operation> out = new HashSet<>();
        for (Operation bc : candidates) if (!bad.contains(bc) && goodUses.getOrDefault(bc, 0) > 0) out.add(bc);
        return out.isEmpty() ? Set.of() : out;
    }

    private static boolean rowBroadcast(Operation op) {
        if (!op.name().equals("stablehlo.broadcast_in_dim") || op.numOperands() != 1 || op.numResults() != 1) return false;
        if (!(op.result(0).type() instanceof TensorType rt) || !rt.hasStaticShape()) return false;
        if (!(rt.elementType() instanceof FloatType ft) || (ft.kind() != FloatKind.F32 && ft.kind() != FloatKind.F64)) return false;
        if (!(op.operand(0).type() instanceof TensorType xt) || !xt.hasStaticShape() || !xt.elementType().equals(rt.elementType())) {
            return false;
        }
        long[] dims;
        try {
            dims = Attrs.required(op, "broadcast_dimensions");
        } catch (RuntimeException e) {
            return false; // the unfused kernel reports it
        }
        long[] xs = xt.shape(), rs = rt.shape();
        if (dims.length != xs.length || xs.length > rs.length) return false;
        for (int k = 0; k < dims.length; k++) if (dims[k] != k) return false;
        return Arrays.equals(xs, Arrays.copyOf(rs, xs.length));
    }

    /** Evaluates the binary op {@code op}; an operand in {@code deferred} is the source of a row broadcast. */
    static Tensor eval(Operation op, RtValue lhs, RtValue rhs, Map<Value, Tensor> deferred) {
        Tensor a = deferred.get(op.operand(0)), b = deferred.get(op.operand(1));
        TensorType rt = (TensorType) op.result(0).type();
        Tensor x = a == null ? (Tensor) lhs : null, y = b == null ? (Tensor) rhs : null;
        if (a != null && b != null) { // two deferred operands: materialise the left one
            x = ShapeKernels.broadcast(a, rt, iota(a.rank()));
            a = null;
        }
        Tensor full = x != null ? x : y, src = a != null ? a : b;
        boolean srcIsLhs = a != null;
        if (full.size != Math.toIntExact(rt.numElements())) {
            throw InterpreterException.at(op, "operand shapes differ: " + full.type + " vs " + rt);
        }
        Tensor r = Tensor.zeros(rt);
        boolean f32 = ((FloatType) rt.elementType()).kind() == FloatKind.F32;
        FloatLoops.forRange(r.size, rowRange(op, srcIsLhs, f32, full.re, src.re, r.re));
        return r;
    }

    /**
     * The loop of {@code out = op(full, broadcast(src))} (or {@code op(broadcast(src), full)} when {@code srcIsLhs})
     * over a range, each element of {@code src} repeated over {@code out.length / src.length} consecutive elements;
     * {@code full} may be {@code out}.
     */
    static FloatLoops.Range rowRange(Operation op, boolean srcIsLhs, boolean f32, double[] f, double[] s, double[] out) {
        int inner = s.length == 0 ? 1 : out.length / s.length;
        int code = switch (op.name()) {
            case "stablehlo.add" -> 0;
            case "stablehlo.subtract" -> 1;
            case "stablehlo.multiply" -> 2;
            case "stablehlo.divide" -> 3;
            default -> throw InterpreterException.at(op, "not a fusible element-wise op");
        };
        return (lo, hi) -> {
            for (int i = lo; i < hi; ) {
                int row = i / inner, end = Math.min(hi, (row + 1) * inner);
                double v = s[row];
                rowLoop(code, srcIsLhs, f32, f, v, out, i, end);
                i = end;
            }
        };
    }

    // One loop per (op, side, width) so each compiles to a tight loop; the same results as FloatLoops.binary.
    private static void rowLoop(int code, boolean srcIsLhs, boolean f32, double[] f, double v, double[] out, int lo, int hi) {
        if (f32) {
            // f32 values are exact floats, and for +, -, *, / the float operation gives exactly the f32 rounding of
            // the double one (53 >= 2 * 24 + 2 bits, so the double rounding is innocuous): float lanes, twice as many
            float w = (float) v;
            switch (code * 2 + (srcIsLhs ? 1 : 0)) {
                case 0 -> { for (int i = lo; i < hi; i++) out[i] = (float) f[i] + w; }
                case 1 -> { for (int i = lo; i < hi; i++) out[i] = w + (float) f[i]; }
                case 2 -> { for (int i = lo; i < hi; i++) out[i] = (float) f[i] - w; }
                case 3 -> { for (int i = lo; i < hi; i++) out[i] = w - (float) f[i]; }
                case 4 -> { for (int i = lo; i < hi; i++) out[i] = (float) f[i] * w; }
                case 5 -> { for (int i = lo; i < hi; i++) out[i] = w * (float) f[i]; }
                case 6 -> { for (int i = lo; i < hi; i++) out[i] = (float) f[i] / w; }
                default -> { for (int i = lo; i < hi; i++) out[i] = w / (float) f[i]; }
            }
        } else {
            switch (code * 2 + (srcIsLhs ? 1 : 0)) {
                case 0 -> { for (int i = lo; i < hi; i++) out[i] = f[i] + v; }
                case 1 -> { for (int i = lo; i < hi; i++) out[i] = v + f[i]; }
                case 2 -> { for (int i = lo; i < hi; i++) out[i] = f[i] - v; }
                case 3 -> { for (int i = lo; i < hi; i++) out[i] = v - f[i]; }
                case 4 -> { for (int i = lo; i < hi; i++) out[i] = f[i] * v; }
                case 5 -> { for (int i = lo; i < hi; i++) out[i] = v * f[i]; }
                case 6 -> { for (int i = lo; i < hi; i++) out[i] = f[i] / v; }
                default -> { for (int i = lo; i < hi; i++) out[i] = v / f[i]; }
            }
        }
    }

    private static long[] iota(int n) {
        long[] d = new long[n];
        for (int i = 0; i < n; i++) d[i] = i;
        return d;
    }
}
