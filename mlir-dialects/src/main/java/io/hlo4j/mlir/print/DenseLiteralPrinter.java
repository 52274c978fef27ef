package io.hlo4j.mlir.print;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FloatFormat;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

/**
 * The body of {@code dense<...>} as MLIR prints it. A literal whose elements are all equal prints as one
 * element (MLIR stores such literals as splats whatever way they were written); an empty tensor prints
 * nothing unless it was built as a splat; more than 100 elements print as a quoted hex blob of the raw little-endian bytes
 * ({@code "0x..."}); otherwise a nested list in row-major order, complex elements as {@code (re,im)}.
 */
final class DenseLiteralPrinter {
    private DenseLiteralPrinter() {}

    /** MLIR's default {@code -mlir-print-elementsattrs-with-hex-if-larger}: hex when more than this many. */
    static final long HEX_THRESHOLD = 100;

    static void printBody(StringBuilder sb, DenseElementsAttr d) {
        TensorType type = d.type();
        long n = type.numElements();
        int width = type.elementType().storageBytes();
        // A splat keeps its value even for an empty tensor (mlir-opt prints dense<2> : tensor<2x0x3xi4>).
        if (d.isSplat() || (n > 0 && allEqual(d, width))) {
            printElement(sb, d, 0, type.elementType());
            return;
        }
        if (n == 0) return;
        if (n > HEX_THRESHOLD) {
            sb.ensureCapacity(sb.length() + d.rawLength() * 2 + 4);
            sb.append("\"0x");
            for (int i = 0, len = d.rawLength(); i < len; i++) {
                int b = d.rawByte(i) & 0xFF;
                sb.append(AttributePrinter.HEX[b >> 4]).append(AttributePrinter.HEX[b & 15]);
            }
            sb.append('"');
            return;
        }
        // Nested list: a mixed-radix counter over the shape closes and reopens brackets.
        long[] shape = type.shape();
        int rank = shape.length;
        long[] counter = new long[rank];
        int open = 0;
        for (int idx = 0; idx < n; idx++) {
            if (idx != 0) sb.append(", ");
            while (open < rank) {
                sb.append('[');
                open++;
            }
            printElement(sb, d, idx, type.elementType());
            if (rank > 0) {
                counter[rank - 1]++;
                for (int i = rank - 1; i > 0; i--) {
                    if (counter[i] >= shape[i]) {
                        counter[i] = 0;
                        counter[i - 1]++;
                        open--;
                        sb.append(']');
                    }
                }
            }
        }
        while (open-- > 0) sb.append(']');
    }

    private static boolean allEqual(DenseElementsAttr d, int width) {
        int len = d.rawLength();
        for (int i = width; i < len; i++) {
            if (d.rawByte(i) != d.rawByte(i % width)) return false;
        }
        return true;
    }

    private static void printElement(StringBuilder sb, DenseElementsAttr d, int index, ElementType et) {
        int width = et.storageBytes();
        int off = index * width;
        switch (et) {
            case IntegerType it when it.width() == 1 && it.signedness() == IntegerType.Signedness.SIGNLESS ->
                    sb.append(d.rawByte(off) != 0 ? "true" : "false");
            case IntegerType it -> AttributePrinter.appendInteger(sb, readLE(d, off, width), it);
            case IndexType ix -> sb.append(readLE(d, off, 8));
            case FloatType ft -> sb.append(FloatFormat.format(ft.kind(), readLE(d, off, width)));
            case ComplexType ct -> {
                int half = width / 2;
                sb.append('(').append(FloatFormat.format(ct.elementType().kind(), readLE(d, off, half)))
                        .append(',').append(FloatFormat.format(ct.elementType().kind(), readLE(d, off + half, half)))
                        .append(')');
            }
            default -> throw new Hlo4jException("cannot print dense elements of element type " + et
                    + " (MLIR has no dense literal for it)", Location.UNKNOWN);
        }
    }

    private static long readLE(DenseElementsAttr d, int off, int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) v = (v << 8) | (d.rawByte(off + i) & 0xFF);
        return v;
    }
}
