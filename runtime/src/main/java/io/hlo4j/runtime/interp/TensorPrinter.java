package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.print.AttributePrinter;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.FloatFormat;

/**
 * The two ways {@code stablehlo-translate --interpret} prints a result, so its output can be compared with the
 * reference's FileCheck lines: the nested form ({@code tensor<2x2xi8> {} then one bracketed row per line) and,
 * with {@code --interpreter-print-dense}, the dense attribute ({@code dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>}).
 * Elements are spelled as MLIR attributes are: {@code true}/{@code false}, unsigned integers unsigned, floats
 * in MLIR's float spelling, complex numbers as {@code [re, im]}.
 */
public final class TensorPrinter {
    private TensorPrinter() {}

    /** The nested form: type, {@code " {"}, the rows (two spaces of indent per level), {@code "}"}; no newline. */
    public static String nested(Tensor t) {
        StringBuilder sb = new StringBuilder(t.type.toString()).append(" {");
        nest(sb, t, new long[t.rank()], 0, 1);
        return sb.append('}').toString();
    }

    /** The dense-attribute form, as MLIR prints a {@code DenseElementsAttr} (equal elements as a splat). */
    public static String dense(Tensor t) {
        return AttributePrinter.print(DenseElementsAttr.of(t.type, Bytes.encode(t)));
    }

    // Mirrors the reference's recursion: a dimension opens on a new line at its depth, elements of the last
    // dimension share a line, and the closing bracket of the last row at each depth is followed by a newline
    // at the parent's indent.
    private static void nest(StringBuilder sb, Tensor t, long[] idx, int depth, int indent) {
        if (depth == t.rank()) {
            sb.append(element(t, flat(t, idx)));
            if (!lastAlong(t, idx, depth)) sb.append(", ");
            return;
        }
        newline(sb, indent);
        sb.append('[');
        for (long i = 0; i < t.shape[depth]; i++) {
            idx[depth] = i;
            nest(sb, t, idx, depth + 1, indent + 1);
        }
        sb.append(']');
        if (!lastAlong(t, idx, depth)) sb.append(',');
        else newline(sb, indent - 1);
    }

    /** Whether the index prefix of length {@code depth} ends at the last position of its innermost dimension. */
    private static boolean lastAlong(Tensor t, long[] idx, int depth) {
        return depth == 0 || idx[depth - 1] == t.shape[depth - 1] - 1;
    }

    private static int flat(Tensor t, long[] idx) {
        long f = 0;
        for (int d = 0; d < idx.length; d++) f = f * t.shape[d] + idx[d];
        return (int) f;
    }

    private static void newline(StringBuilder sb, int indent) {
        sb.append('\n');
        for (int i = 0; i < indent; i++) sb.append("  ");
    }

    /** One element as MLIR prints the attribute without its type. */
    public static String element(Tensor t, int i) {
        return switch (t.elem) {
            case BOOL -> t.ints[i] != 0 ? "true" : "false";
            case SIGNED -> Long.toString(t.ints[i]);
            case UNSIGNED -> Long.toUnsignedString(t.ints[i]);
            case FLOAT -> real(((FloatType) t.elementType).kind(), t.re[i]);
            case COMPLEX -> {
                FloatKind k = ((ComplexType) t.elementType).elementType().kind();
                yield "[" + real(k, t.re[i]) + ", " + real(k, t.im[i]) + "]";
            }
        };
    }

    private static String real(FloatKind k, double v) { return FloatFormat.format(k, Floats.bits(k, v)); }
}
