package io.hlo4j.runtime.interp;

/** Short human-readable renderings of tensors for messages (never the whole of a large tensor). */
public final class Format {
    private Format() {}

    static final int MAX_SHOWN = 8;

    public static String element(Tensor t, int i) {
        return switch (t.elem) {
            case BOOL -> t.ints[i] != 0 ? "true" : "false";
            case SIGNED -> Long.toString(t.ints[i]);
            case UNSIGNED -> Long.toUnsignedString(t.ints[i]);
            case FLOAT -> Double.toString(t.re[i]);
            case COMPLEX -> "(" + t.re[i] + ", " + t.im[i] + ")";
        };
    }

    /** {@code tensor<2x3xf32> [1.0, 2.0, ...]}. */
    public static String summary(Tensor t) {
        StringBuilder sb = new StringBuilder(t.type.toString()).append(" [");
        for (int i = 0; i < Math.min(t.size, MAX_SHOWN); i++) {
            if (i > 0) sb.append(", ");
            sb.append(element(t, i));
        }
        if (t.size > MAX_SHOWN) sb.append(", ... (").append(t.size).append(" elements)");
        return sb.append(']').toString();
    }

    /** The multi-index of flat position {@code i} in a shape, as {@code [a, b]}. */
    public static String index(long[] shape, int i) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : i % shape[d];
            i = shape[d] == 0 ? i : (int) (i / shape[d]);
        }
        return java.util.Arrays.toString(idx);
    }
}
