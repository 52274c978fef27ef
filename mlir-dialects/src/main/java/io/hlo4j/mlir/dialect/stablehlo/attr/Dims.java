package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;

import java.util.Arrays;

/**
 * An immutable list of dimension numbers as StableHLO's struct attributes hold them ({@code [0, 2]}).
 * {@link #DYNAMIC} (MLIR's kDynamic) prints as {@code ?}; only bounds use it.
 */
public final class Dims {
    public static final long DYNAMIC = Long.MIN_VALUE;
    public static final Dims EMPTY = new Dims(new long[0]);

    private final long[] values;

    private Dims(long[] values) { this.values = values; }

    public static Dims of(long... values) { return values.length == 0 ? EMPTY : new Dims(values.clone()); }

    public int size() { return values.length; }
    public boolean isEmpty() { return values.length == 0; }
    public long get(int i) { return values[i]; }
    public long[] toArray() { return values.clone(); }

    public boolean contains(long v) {
        for (long x : values) if (x == v) return true;
        return false;
    }

    /** {@code [a, b, ?]}, possibly empty ({@code []}); {@code ?} allowed only when {@code allowDynamic}. */
    public static Dims parse(AsmParser p, boolean allowDynamic) {
        p.expect("[");
        if (p.consumeIf("]")) return EMPTY;
        long[] buf = new long[4];
        int n = 0;
        do {
            long v;
            if (allowDynamic && p.consumeIf("?")) v = DYNAMIC;
            else v = p.parseInteger();
            if (n == buf.length) buf = Arrays.copyOf(buf, n * 2);
            buf[n++] = v;
        } while (p.consumeIf(","));
        p.expect("]");
        return new Dims(Arrays.copyOf(buf, n));
    }

    public static Dims parse(AsmParser p) { return parse(p, false); }

    /** The elements without brackets: {@code 0, 1, ?}. */
    public String joined() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(values[i] == DYNAMIC ? "?" : Long.toString(values[i]));
        }
        return sb.toString();
    }

    @Override public boolean equals(Object o) { return o instanceof Dims d && Arrays.equals(d.values, values); }
    @Override public int hashCode() { return Arrays.hashCode(values); }
    @Override public String toString() { return "[" + joined() + "]"; }
}
