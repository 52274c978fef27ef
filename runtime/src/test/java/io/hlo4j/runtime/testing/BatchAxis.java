package io.hlo4j.runtime.testing;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.List;

/**
 * Examples along a batch axis, computed element by element on the host: the oracle of vmap (dsl) and of the
 * batching rules (compiler) runs a function on each example taken out of a batch and stacks the results.
 */
public final class BatchAxis {
    private BatchAxis() {}

    /** Example {@code i} of {@code x} along {@code axis} (x without that dimension). */
    public static HostArray take(HostArray x, int axis, int i) {
        long[] s = x.shape(), out = new long[s.length - 1];
        for (int d = 0, j = 0; d < s.length; d++) if (d != axis) out[j++] = s[d];
        TensorType t = x.type().withShape(out);
        double[] v = new double[(int) t.numElements()];
        long[] idx = new long[s.length];
        for (int k = 0; k < v.length; k++) {
            long rem = k;
            for (int d = s.length - 1; d >= 0; d--) {
                if (d == axis) { idx[d] = i; continue; }
                idx[d] = rem % s[d];
                rem /= s[d];
            }
            v[k] = x.getDouble(flat(s, idx));
        }
        return build(t, v);
    }

    /** The examples stacked along a new dimension {@code axis}. */
    public static HostArray stack(List<HostArray> xs, int axis) {
        long[] s = xs.get(0).shape(), out = new long[s.length + 1];
        for (int d = 0, j = 0; d < out.length; d++) out[d] = d == axis ? xs.size() : s[j++];
        TensorType t = xs.get(0).type().withShape(out);
        double[] v = new double[(int) t.numElements()];
        long[] idx = new long[out.length];
        for (int k = 0; k < v.length; k++) {
            long rem = k;
            for (int d = out.length - 1; d >= 0; d--) { idx[d] = rem % out[d]; rem /= out[d]; }
            long[] inner = new long[s.length];
            for (int d = 0, j = 0; d < out.length; d++) if (d != axis) inner[j++] = idx[d];
            v[k] = xs.get((int) idx[axis]).getDouble(flat(s, inner));
        }
        return build(t, v);
    }

    private static int flat(long[] shape, long[] idx) {
        long f = 0;
        for (int d = 0; d < shape.length; d++) f = f * shape[d] + idx[d];
        return (int) f;
    }

    /** The values as an array of type {@code t}: floats as they are, i1 as v != 0, other integers truncated. */
    private static HostArray build(TensorType t, double[] v) {
        if (t.elementType() instanceof FloatType) return HostArray.fromDoubles(t, v);
        if (t.elementType() instanceof IntegerType it && it.width() == 1) {
            boolean[] b = new boolean[v.length];
            for (int k = 0; k < v.length; k++) b[k] = v[k] != 0;
            return HostArray.fromBooleans(t, b);
        }
        long[] l = new long[v.length];
        for (int k = 0; k < v.length; k++) l[k] = (long) v[k];
        return HostArray.fromLongs(t, l);
    }
}
