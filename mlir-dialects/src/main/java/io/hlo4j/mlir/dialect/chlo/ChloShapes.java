package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;

import static io.hlo4j.mlir.dialect.check.OpSupport.fail;

/** Shape rules chlo ops share: HLO type compatibility (a dynamic dimension matches any size) and broadcasting. */
final class ChloShapes {
    private ChloShapes() {}

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
    static long[] broadcast(Operation op, long[] lhs, long[] rhs, long[] broadcastDimensions) {
        long[] big = lhs.length >= rhs.length ? lhs : rhs;
        long[] small = lhs.length >= rhs.length ? rhs : lhs;
        long[] map = new long[small.length];
        if (broadcastDimensions == null) {
            for (int i = 0; i < small.length; i++) map[i] = big.length - small.length + i;
        } else {
            if (lhs.length != rhs.length && broadcastDimensions.length != small.length) {
                throw fail(op, "broadcast_dimensions has " + broadcastDimensions.length + " entries but the lower-rank operand has rank "
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
                throw fail(op, "broadcast dimension " + target + " is out of range for result rank " + big.length);
            }
            int t = (int) target;
            long s = small[i], g = big[t];
            if (s == g || s == 1) continue;
            if (g == 1) { result[t] = s; continue; }
            // A dynamic size broadcasts against anything; the static size (DYNAMIC is -1) wins.
            if (s == TensorType.DYNAMIC || g == TensorType.DYNAMIC) { result[t] = Math.max(s, g); continue; }
            throw fail(op, "shapes " + Arrays.toString(lhs) + " and " + Arrays.toString(rhs)
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
