package io.hlo4j.mlir.types;

import java.math.BigDecimal;

/**
 * MLIR's decimal spelling of a double: scientific {@code 1.000000e+00} style as LLVM's APFloat prints with
 * default precision when that round-trips, else the shortest round-trip digits. Callers that need the bare
 * hex form for non-finite values handle those before calling.
 */
public final class FloatFormat {
    private FloatFormat() {}

    public static String format(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return Double.toString(v);
        // LLVM prints "%e"-like with 6 digits when it round-trips exactly, else more digits.
        String six = String.format(java.util.Locale.ROOT, "%.6e", v);
        if (Double.parseDouble(six) == v) return six;
        String shortest = Double.toString(v);
        BigDecimal bd = new BigDecimal(shortest);
        String plain = bd.stripTrailingZeros().toString();
        if (!plain.contains("E") && !plain.contains(".")) plain = plain + ".0";
        if (plain.contains("E")) {
            int digits = bd.stripTrailingZeros().precision();
            return String.format(java.util.Locale.ROOT, "%." + Math.max(1, digits - 1) + "e", v);
        }
        return plain;
    }
}
