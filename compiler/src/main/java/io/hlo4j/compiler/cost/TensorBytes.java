package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TupleType;
import io.hlo4j.mlir.types.Type;


/** Sizes of values: elements and bytes of tensors (tuples summed; tokens and other types take none). */
public final class TensorBytes {
    private TensorBytes() {}

    /**
     * Bytes of a value of type {@code t}. A dynamic dimension ({@code ?}) counts as 1, so that a dynamic
     * module gets costs per unit of each dynamic size; reports flag such functions ({@link #isDynamic}). Past 64 bits an
     * ArithmeticException, which {@link CostAnalysis} reports naming the op.
     */
    public static long of(Type t) {
        return switch (t) {
            case TensorType tt -> Math.multiplyExact(elements(tt), elementBytes(tt.elementType()));
            case TupleType tu -> tu.types().stream().mapToLong(TensorBytes::of).reduce(0, Math::addExact);
            default -> 0;
        };
    }

    public static long elements(Type t) {
        if (!(t instanceof TensorType tt)) return 0;
        long n = 1;
        for (int i = 0; i < tt.rank(); i++) n = Math.multiplyExact(n, tt.isDynamicDim(i) ? 1 : tt.dim(i));
        return n;
    }

    /** Whether the type has a dynamic dimension (a tuple: any of its elements). */
    public static boolean isDynamic(Type t) {
        return switch (t) {
            case TensorType tt -> !tt.hasStaticShape();
            case TupleType tu -> tu.types().stream().anyMatch(TensorBytes::isDynamic);
            default -> false;
        };
    }

    /** Storage bytes of one element; sub-byte types (i1, i4, f4) take one byte each, as XLA stores them. */
    public static long elementBytes(ElementType e) { return e.storageBytes(); }

    /** Integer values of a dense integer constant, row-major (splats expanded); little-endian storage. */
    public static long[] intValues(DenseElementsAttr d) {
        if (!(d.type().elementType() instanceof io.hlo4j.mlir.types.IntegerType it)) {
            throw new IllegalArgumentException("expected an integer tensor, got " + d.type());
        }
        byte[] raw = d.expandedData();
        int width = it.storageBytes();
        long[] out = new long[Math.toIntExact(d.type().numElements())];
        for (int i = 0; i < out.length; i++) {
            long v = 0;
            for (int b = width - 1; b >= 0; b--) v = (v << 8) | (raw[i * width + b] & 0xFF);
            // Sign-extend signless/signed values narrower than 64 bits.
            if (width < 8 && it.signedness() != io.hlo4j.mlir.types.IntegerType.Signedness.UNSIGNED && it.width() > 1) {
                int shift = 64 - width * 8;
                v = (v << shift) >> shift;
            }
            out[i] = v;
        }
        return out;
    }
}
