package io.hlo4j.runtime.array;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.QuantizedType;

/**
 * How one element type lives in a {@link HostArray}: which primitive array holds it and what its values mean.
 *
 * <ul>
 *   <li>i1: {@code byte[]} holding 0 or 1.</li>
 *   <li>Integers of width w: the narrowest of {@code byte[] short[] int[] long[]} that fits w bits. Signed and
 *       signless values are stored sign-extended from w bits; unsigned values as their w-bit pattern
 *       (zero-extended when read). So i4 -3 is the byte -3 and ui8 200 is the byte (byte) 200.</li>
 *   <li>f64: {@code double[]}; f32: {@code float[]} (Java float arithmetic is IEEE binary32, so f32 ops are
 *       exact without re-rounding).</li>
 *   <li>Every other float kind: its bit pattern, right-aligned, in {@code short[]} (bf16, f16), {@code int[]}
 *       (tf32) or {@code byte[]} (the f8/f6/f4 kinds). Bits keep NaN payloads and -0 exact.</li>
 *   <li>complex&lt;f32&gt; / complex&lt;f64&gt;: {@code float[]} / {@code double[]} of 2n entries, real and imaginary
 *       parts interleaved (the order of the dense and .npy byte layouts).</li>
 *   <li>index: as i64. Quantized types: as their storage integer type.</li>
 * </ul>
 */
public record Layout(ElementType type, Category category, Store store, int bitWidth, FloatKind floatKind) {

    /** What the stored numbers mean. */
    public enum Category { BOOL, SIGNED, UNSIGNED, FLOAT, COMPLEX }

    /** Which primitive array holds the elements. */
    public enum Store { BYTE, SHORT, INT, LONG, FLOAT, DOUBLE }

    public static Layout of(ElementType type) {
        return switch (type) {
            case IntegerType it -> ofInteger(type, it);
            case QuantizedType q -> ofInteger(type, q.storageType());
            case IndexType ignored -> new Layout(type, Category.SIGNED, Store.LONG, 64, null);
            case FloatType ft -> {
                FloatKind k = ft.kind();
                Store s = switch (k) {
                    case F64 -> Store.DOUBLE;
                    case F32 -> Store.FLOAT;
                    case BF16, F16 -> Store.SHORT;
                    case TF32 -> Store.INT;
                    default -> Store.BYTE;
                };
                yield new Layout(type, Category.FLOAT, s, k.bitWidth(), k);
            }
            case ComplexType ct -> {
                FloatKind k = ct.elementType().kind();
                if (k != FloatKind.F32 && k != FloatKind.F64) {
                    throw new IllegalArgumentException("complex element type must be f32 or f64, got " + type);
                }
                yield new Layout(type, Category.COMPLEX, k == FloatKind.F32 ? Store.FLOAT : Store.DOUBLE,
                        2 * k.bitWidth(), k);
            }
        };
    }

    private static Layout ofInteger(ElementType type, IntegerType it) {
        int w = it.width();
        Store s = w <= 8 ? Store.BYTE : w <= 16 ? Store.SHORT : w <= 32 ? Store.INT : Store.LONG;
        Category c = w == 1 ? Category.BOOL : it.isUnsigned() ? Category.UNSIGNED : Category.SIGNED;
        return new Layout(type, c, s, w, null);
    }

    /** Primitive slots per element: 2 for complex, else 1. */
    public int slots() { return category == Category.COMPLEX ? 2 : 1; }

    public boolean isInteger() { return category == Category.SIGNED || category == Category.UNSIGNED; }

    /** {@code v} wrapped to this integer type's width: sign-extended for signed, zero-extended for unsigned. */
    public long wrap(long v) {
        if (bitWidth == 64) return v;
        return switch (category) {
            case BOOL -> v & 1;
            case SIGNED -> (v << (64 - bitWidth)) >> (64 - bitWidth);
            case UNSIGNED -> v & ((1L << bitWidth) - 1);
            default -> throw new IllegalStateException("wrap of non-integer " + type);
        };
    }

    /** Smallest value of this integer type (as a signed long; 0 for unsigned). */
    public long minValue() {
        return category == Category.SIGNED ? -1L << (bitWidth - 1) : 0;
    }

    /** Largest value of this integer type; for ui64 the all-ones pattern (-1 as a signed long). */
    public long maxValue() {
        if (category == Category.SIGNED) return bitWidth == 64 ? Long.MAX_VALUE : (1L << (bitWidth - 1)) - 1;
        if (category == Category.BOOL) return 1;
        return bitWidth == 64 ? -1L : (1L << bitWidth) - 1;
    }
}
