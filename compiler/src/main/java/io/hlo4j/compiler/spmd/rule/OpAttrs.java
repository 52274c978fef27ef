package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Reads shapes and inherent attributes for rule construction, refusing by op name and location when one is missing. */
final class OpAttrs {
    private OpAttrs() {}

    static long[] shape(Operation op, Value v) {
        if (v.type() instanceof TensorType t) {
            for (int d = 0; d < t.rank(); d++) {
                if (t.isDynamicDim(d)) {
                    throw new Hlo4jException("sharding rule of '" + op.name() + "': dynamic dimension " + d + " in " + t
                            + " (sharding needs static shapes)", op.location());
                }
            }
            return t.shape();
        }
        throw new Hlo4jException("sharding rule of '" + op.name() + "': expected a tensor, got " + v.type(), op.location());
    }

    static long[] operandShape(Operation op, int i) { return shape(op, op.operand(i)); }
    static long[] resultShape(Operation op, int i) { return shape(op, op.result(i)); }

    static long[] i64s(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a instanceof DenseArrayAttr d) return d.longs();
        throw new Hlo4jException("sharding rule of '" + op.name() + "' needs an array<i64> attribute '" + name + "', got " + a,
                op.location());
    }

    /** An optional array attribute; null when absent. */
    static long[] i64sOrNull(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a == null) return null;
        if (a instanceof DenseArrayAttr d) return d.longs();
        if (a instanceof DenseElementsAttr e) return denseLongs(e);
        throw new Hlo4jException("sharding rule of '" + op.name() + "': attribute '" + name + "' is " + a, op.location());
    }

    static long i64(Operation op, String name) {
        Attribute a = op.attr(name);
        if (a instanceof IntegerAttr i) return i.value();
        throw new Hlo4jException("sharding rule of '" + op.name() + "' needs an integer attribute '" + name + "', got " + a,
                op.location());
    }

    static long i64(Operation op, String name, long dflt) {
        Attribute a = op.attr(name);
        return a instanceof IntegerAttr i ? i.value() : dflt;
    }

    static boolean bool(Operation op, String name) {
        return op.attr(name) instanceof BoolAttr b && b.value();
    }

    static <T> T get(Operation op, String name, Class<T> kind) {
        Attribute a = op.attr(name);
        if (kind.isInstance(a)) return kind.cast(a);
        throw new Hlo4jException("sharding rule of '" + op.name() + "' needs a " + kind.getSimpleName() + " attribute '" + name
                + "', got " + a, op.location());
    }

    static long[] denseLongs(DenseElementsAttr a) {
        int w = a.type().elementType().storageBytes();
        ByteBuffer in = ByteBuffer.wrap(a.expandedData()).order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[(int) a.type().numElements()];
        for (int i = 0; i < v.length; i++) v[i] = w == 8 ? in.getLong(i * 8) : w == 4 ? in.getInt(i * 4) : in.get(i);
        return v;
    }

    static boolean contains(long[] a, long v) {
        if (a == null) return false;
        for (long x : a) if (x == v) return true;
        return false;
    }

    static int indexOf(long[] a, long v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }
}
