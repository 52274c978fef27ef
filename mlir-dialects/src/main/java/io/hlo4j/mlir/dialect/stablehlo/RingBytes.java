package io.hlo4j.mlir.dialect.stablehlo;

/**
 * The bytes one device of a group of g receives in a group collective, by the bandwidth-optimal (ring) lower bounds,
 * from the bytes of its operands ({@code in}) and results ({@code out}), rounded up to whole bytes:
 * all_gather (g-1)/g x out; reduce_scatter, all_to_all, collective_reduce (g-1)/g x in; all_reduce (and the legacy
 * cross-replica-sum) 2 (g-1)/g x in, a reduce_scatter then an all_gather. A group of one moves nothing. Stated once
 * here, beside the ops' declarations, for the static cost analysis ({@code inspect}) and the runtime's run log alike,
 * so the two always agree; Shardy's collectives of the same names ({@code sdy.all_gather} ...) follow it on shards.
 * A count past 64 bits throws {@link ArithmeticException} (callers name the op), never a wrapped value.
 */
public final class RingBytes {
    private RingBytes() {}

    /** Whether {@code op} (with or without its dialect prefix) is one of the group collectives above. */
    public static boolean covers(String op) {
        return switch (base(op)) {
            case "all_gather", "reduce_scatter", "all_to_all", "collective_reduce", "all_reduce", "cross-replica-sum" -> true;
            default -> false;
        };
    }

    /** Bytes received per device; {@code op} must be {@linkplain #covers covered}; ArithmeticException past 64 bits. */
    public static long received(String op, long g, long in, long out) {
        if (g <= 1) return 0;
        return switch (base(op)) {
            case "all_gather" -> ceil(Math.multiplyExact(g - 1, out), g);
            case "reduce_scatter", "all_to_all", "collective_reduce" -> ceil(Math.multiplyExact(g - 1, in), g);
            case "all_reduce", "cross-replica-sum" -> ceil(Math.multiplyExact(2 * (g - 1), in), g);
            default -> throw new IllegalArgumentException("no ring byte count for collective " + op);
        };
    }

    /**
     * The most a device of a group of g receives in a ragged_all_to_all, whose sizes are data: g-1 chunks of at most
     * {@code chunk} bytes (min(input, output) rows), and never more than its {@code output} buffer, where every received
     * chunk lands (chunks may not overlap: the interpreter refuses overlapping ones by name).
     */
    public static long raggedAllToAllBound(long g, long chunk, long output) {
        if (g <= 1) return 0;
        return Math.min(Math.multiplyExact(g - 1, chunk), output);
    }

    private static String base(String op) {
        int dot = op.indexOf('.');
        return dot < 0 ? op : op.substring(dot + 1);
    }

    /** a / b rounded up, for a >= 0, b > 0, without the overflow of (a + b - 1) / b. */
    private static long ceil(long a, long b) { return a / b + (a % b == 0 ? 0 : 1); }
}
