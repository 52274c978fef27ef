package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.List;

import java.util.Arrays;

import static io.hlo4j.mlir.dialect.check.OpSupport.fail;

/** Shape rules chlo ops share: HLO type compatibility (a dynamic dimension matches any size) and broadcasting. */
final class ChloShapes {
    private ChloShapes() {}

    /**
     * A refusal of op {@code name}: of the built {@code op} (carrying its location) when verifying, or of an op being
     * inferred ({@code op} null, no location yet: the builder adds the caller's). Either way {@code 'chlo.x' op text}.
     */
    static VerificationException error(String name, Operation op, String message) {
        return op != null ? fail(op, message) : new VerificationException(name, message, Location.UNKNOWN);
    }

    /** Operand {@code i} of an op being inferred as a ranked tensor, or a refusal naming its role. */
    static TensorType tensor(String name, List<Type> operands, int i, String role) {
        if (i >= operands.size()) throw error(name, null, "expects an operand '" + role + "' (#" + i + "), got " + operands.size() + " operand(s)");
        if (operands.get(i) instanceof TensorType t) return t;
        throw error(name, null, role + " must be a ranked tensor, got " + operands.get(i));
    }

    /** Same element type and rank, and every pair of static dimensions equal. */
    static boolean compatible(TensorType a, TensorType b) {
        return a.elementType().equals(b.elementType()) && compatibleShapes(a.shape(), b.shape());
    }

    static boolean compatibleShapes(long[] a, long[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != TensorType.DYNAMIC && b[i] != TensorType.DYNAMIC && a[i] != b[i]) return false;
        }
        return true;
    }

    /**
     * The broadcast shape of {@code lhs} and {@code rhs}. Without {@code broadcastDimensions} the shapes are
     * right-aligned (numpy); with them, the lower-rank operand's dimension i maps to result dimension
     * {@code broadcastDimensions[i]}. Dimensions must be equal, or one of them 1 or dynamic.
     */
    static long[] broadcast(String name, Operation op, long[] lhs, long[] rhs, long[] broadcastDimensions) {
        long[] big = lhs.length >= rhs.length ? lhs : rhs;
        long[] small = lhs.length >= rhs.length ? rhs : lhs;
        long[] map = new long[small.length];
        if (broadcastDimensions == null) {
            for (int i = 0; i < small.length; i++) map[i] = big.length - small.length + i;
        } else {
            if (lhs.length != rhs.length && broadcastDimensions.length != small.length) {
                throw error(name, op, "broadcast_dimensions has " + broadcastDimensions.length + " entries but the lower-rank operand has rank "
                        + small.length);
            }
            if (lhs.length == rhs.length) {
                for (int i = 0; i < small.length; i++) map[i] = i;
            } else {
                map = broadcastDimensions.clone();
            }
        }
        long[] result = big.clone();
        for (int i = 0; i < small.length; i++) {
            long target = map[i];
            if (target < 0 || target >= big.length) {
                throw error(name, op, "broadcast dimension " + target + " is out of range for result rank " + big.length);
            }
            int t = (int) target;
            long s = small[i], g = big[t];
            if (s == g || s == 1) continue;
            if (g == 1) { result[t] = s; continue; }
            // A dynamic size broadcasts against anything; the static size (DYNAMIC is -1) wins.
            if (s == TensorType.DYNAMIC || g == TensorType.DYNAMIC) { result[t] = Math.max(s, g); continue; }
            throw error(name, op, "shapes " + Arrays.toString(lhs) + " and " + Arrays.toString(rhs)
                    + " are not broadcast-compatible: dimension sizes " + s + " and " + g + " differ and neither is 1");
        }
        return result;
    }

    static String shapeText(long[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i] == TensorType.DYNAMIC ? "?" : Long.toString(shape[i]));
        return sb.append(']').toString();
    }
}
