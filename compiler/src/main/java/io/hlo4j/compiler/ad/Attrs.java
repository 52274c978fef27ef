package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Operation;

/** Reads the inherent attributes rules need, refusing by name when one is missing or of another kind. */
final class Attrs {
    private Attrs() {}

    static long[] i64s(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a instanceof DenseArrayAttr d) return d.longs();
        throw new Hlo4jException("'" + op.name() + "' needs an array<i64> attribute '" + name + "', got " + a, op.location());
    }

    static long i64(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a instanceof IntegerAttr i) return i.value();
        throw new Hlo4jException("'" + op.name() + "' needs an integer attribute '" + name + "', got " + a, op.location());
    }

    static <T> T get(Operation op, String name, Class<T> kind) {
        Attribute a = op.attr(name);
        if (kind.isInstance(a)) return kind.cast(a);
        throw new Hlo4jException("'" + op.name() + "' needs a " + kind.getSimpleName() + " attribute '" + name + "', got " + a,
                op.location());
    }

    /** The elements of an integer dense attribute (e.g. reduce_window's padding), row-major. */
    static long[] denseLongs(io.hlo4j.mlir.attr.DenseElementsAttr a) {
        int w = a.type().elementType().storageBytes();
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(a.expandedData()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[(int) a.type().numElements()];
        for (int i = 0; i < v.length; i++) v[i] = w == 8 ? in.getLong(i * 8) : w == 4 ? in.getInt(i * 4) : in.get(i);
        return v;
    }

    static long[] iota(int n) {
        long[] r = new long[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    static boolean contains(long[] a, long v) {
        for (long x : a) if (x == v) return true;
        return false;
    }
}
