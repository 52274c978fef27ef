package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.ir.Operation;

/** Dimension-list arithmetic for rules that put the batch dimension first: shift by one, prepend an entry. */
final class DimMath {
    private DimMath() {}

    static long[] array(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a instanceof DenseArrayAttr d) return d.longs();
        throw new IllegalStateException(op.name() + " has no dense array '" + name + "': " + a);
    }

    /** Each entry plus one (dimension numbers after a leading batch dimension). */
    static long[] shift(long[] xs) {
        long[] out = xs.clone();
        for (int i = 0; i < out.length; i++) out[i]++;
        return out;
    }

    /** {@code first} followed by {@code xs}. */
    static long[] prepend(long first, long[] xs) {
        long[] out = new long[xs.length + 1];
        out[0] = first;
        System.arraycopy(xs, 0, out, 1, xs.length);
        return out;
    }

    /** {@code first} followed by {@code xs} shifted by one. */
    static long[] leading(long first, long[] xs) { return prepend(first, shift(xs)); }

    static DenseArrayAttr i64(long[] xs) { return DenseArrayAttr.ofI64(xs); }
}
