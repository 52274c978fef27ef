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
