package io.hlo4j.dsl;

import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.function.Supplier;

/** Reductions over axes (all axes when none are given), softmax and friends, and cumulative sums. */
public final class Reductions {
    private Reductions() {}

    static Tensor reduce(String op, String combiner, double init, Tensor x, int[] axes) {
        return reduce(op, combiner, () -> Ops.scalar(init, x.dtype()), x, axes);
    }

    /** {@code init} is made only when something is reduced (an empty axis list emits nothing). */
    static Tensor reduce(String op, String combiner, Supplier<Tensor> init, Tensor x, int[] axes) {
        Location loc = SourceLoc.here();
        int[] ax = Ops.axes(x, axes, op, loc);
        if (ax.length == 0) return x;
        Tensor initT = init.get();
        return Ops.emit(op, loc, List.of(x), () -> Ops.h(op, loc).reduce(Ops.v(x, op, loc), Ops.v(initT, op, loc), Ops.toLongs(ax), combiner, loc));
    }

    /**
     * The dtype's smallest value as a scalar constant (-inf for floats; false for bool), the identity of max. Integers
     * are built from their bits: a double cannot hold 2^64 - 1 (u64's largest) nor 2^63 - 1 (i64's).
     */
    static Tensor lowest(DType d) {
        if (d.isFloat()) return Ops.scalar(Double.NEGATIVE_INFINITY, d);
        return Ops.scalarBits(switch (d) {
            case BOOL, U8, U32, U64 -> 0L;
            case I8 -> Byte.MIN_VALUE;
            case I16 -> Short.MIN_VALUE;
            case I32 -> Integer.MIN_VALUE;
            default -> Long.MIN_VALUE;
        }, d);
    }

    /** The dtype's largest value as a scalar constant (+inf for floats; true for bool), the identity of min. */
    static Tensor highest(DType d) {
        if (d.isFloat()) return Ops.scalar(Double.POSITIVE_INFINITY, d);
        return Ops.scalarBits(switch (d) {
            case BOOL -> 1L;
            case U8 -> 0xFFL;
            case I8 -> Byte.MAX_VALUE;
            case I16 -> Short.MAX_VALUE;
            case I32 -> Integer.MAX_VALUE;
            case U32 -> 0xFFFF_FFFFL;
            case U64 -> -1L;            // all 64 bits set: 2^64 - 1
            default -> Long.MAX_VALUE;
        }, d);
    }

    public static Tensor sum(Tensor x, int... axes) { return reduce("sum", "add", 0, x, axes); }
    public static Tensor prod(Tensor x, int... axes) { return reduce("prod", "multiply", 1, x, axes); }
    public static Tensor max(Tensor x, int... axes) { return reduce("max", "maximum", () -> lowest(x.dtype()), x, axes); }
    public static Tensor min(Tensor x, int... axes) { return reduce("min", "minimum", () -> highest(x.dtype()), x, axes); }

    public static Tensor mean(Tensor x, int... axes) {
        Location loc = SourceLoc.here();
        Ops.requireFloat("mean", x, loc);
        int[] ax = Ops.axes(x, axes, "mean", loc);
        long n = 1;
        for (int a : ax) n *= x.dims()[a];
        return Ops.div(sum(x, ax), (double) n);
    }

    /** With {@code keepdims}, the reduced axes stay as size 1 (NumPy's {@code keepdims=True}), ready to broadcast back. */
    public static Tensor sum(Tensor x, boolean keepdims, int... axes) { return kept(sum(x, axes), x, keepdims, axes); }
    public static Tensor max(Tensor x, boolean keepdims, int... axes) { return kept(max(x, axes), x, keepdims, axes); }
    public static Tensor min(Tensor x, boolean keepdims, int... axes) { return kept(min(x, axes), x, keepdims, axes); }
    public static Tensor mean(Tensor x, boolean keepdims, int... axes) { return kept(mean(x, axes), x, keepdims, axes); }

    private static Tensor kept(Tensor reduced, Tensor x, boolean keepdims, int[] axes) { return keepdims ? keepDims(reduced, x, axes) : reduced; }

    /** Keeps reduced axes as size 1 (for broadcasting back). */
    public static Tensor keepDims(Tensor reduced, Tensor original, int... axes) {
        Location loc = SourceLoc.here();
        int[] ax = Ops.axes(original, axes, "keepDims", loc);
        long[] d = original.dims();
        for (int a : ax) d[a] = 1;
        return Ops.reshape(reduced, d);
    }

    /**
     * Index of the largest element along {@code axis} (the first one on ties), as i32: a two-operand reduce
     * of (value, index) pairs.
     */
    public static Tensor argmax(Tensor x, int axis) { return argBest("argmax", "GT", x, axis); }

    public static Tensor argmin(Tensor x, int axis) { return argBest("argmin", "LT", x, axis); }

    private static Tensor argBest(String op, String dir, Tensor x, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, op, loc);
        Tensor idx = Ops.iota(DType.I32, x.shape(), a);
        Tensor initV = dir.equals("GT") ? lowest(x.dtype()) : highest(x.dtype());
        Tensor initI = Ops.scalar(0, DType.I32);
        TensorType sv = TensorType.scalar(x.dtype().elementType()), si = TensorType.scalar(IntegerType.I32);
        String ct = x.dtype().isFloat() ? "FLOAT" : x.dtype().isUnsigned() || x.dtype().isBool() ? "UNSIGNED" : "SIGNED";
        return Ops.emit(op, loc, List.of(x), () -> {
            StablehloBuilder h = Ops.h(op, loc);
            Region body = h.region(List.of(sv, si, sv, si), r -> {
                Value av = r.ir().argument(0), ai = r.ir().argument(1), bv = r.ir().argument(2), bi = r.ir().argument(3);
                Value better = r.compare(dir, bv, av, ct, loc);
                Value same = r.compare("EQ", bv, av, ct, loc);
                Value earlier = r.compare("LT", bi, ai, "SIGNED", loc);
                Value pick = r.binary("or", better, r.binary("and", same, earlier, loc), loc);
                return List.of(r.select(pick, bv, av, loc), r.select(pick, bi, ai, loc));
            }, loc);
            List<OpResult> rs = h.reduce(List.of(Ops.v(x, op, loc), Ops.v(idx, op, loc)),
                    List.of(Ops.v(initV, op, loc), Ops.v(initI, op, loc)), new long[]{a}, body, loc);
            return rs.get(1);
        });
    }

    /** {@code log(sum(exp(x)))} along {@code axis}, computed stably around the maximum. */
    public static Tensor logsumexp(Tensor x, int axis) {
        Location loc = SourceLoc.here();
        Ops.requireFloat("logsumexp", x, loc);
        int a = Ops.axis(x, axis, "logsumexp", loc);
        Tensor m = max(x, a);
        Tensor mk = keepDims(m, x, a);
        // An all -inf row has max -inf; shifting by it would give NaN, so shift by 0 there.
        Tensor safe = Ops.where(Ops.isFinite(mk), mk, 0.0);
        return Ops.add(Ops.log(sum(Ops.exp(Ops.sub(x, safe)), a)), Ops.reshape(safe, m.dims()));
    }

    public static Tensor softmax(Tensor x, int axis) {
        Location loc = SourceLoc.here();
        Ops.requireFloat("softmax", x, loc);
        int a = Ops.axis(x, axis, "softmax", loc);
        Tensor e = Ops.exp(Ops.sub(x, keepDims(max(x, a), x, a)));
        return Ops.div(e, keepDims(sum(e, a), x, a));
    }

    public static Tensor logSoftmax(Tensor x, int axis) {
        Location loc = SourceLoc.here();
        Ops.requireFloat("logSoftmax", x, loc);
        int a = Ops.axis(x, axis, "logSoftmax", loc);
        return Ops.sub(x, keepDims(logsumexp(x, a), x, a));
    }

    /**
     * {@code jnp.var(x, axis, ddof=ddof, keepdims=keepdims)}: {@code sum((x - mean)^2) / (N - ddof)} over the axes (all
     * when none), N their element count. Integer inputs give f32, bf16/f16 are computed in f32 and rounded back (as JAX).
     * Where {@code N - ddof <= 0} the result is NaN, as in JAX.
     */
    public static Tensor var(Tensor x, int ddof, boolean keepdims, int... axes) {
        Location loc = SourceLoc.here();
        return varianceOf("var", x, ddof, keepdims, axes, loc, false);
    }

    /** {@code jnp.std}: the square root of {@link #var}. */
    public static Tensor std(Tensor x, int ddof, boolean keepdims, int... axes) {
        Location loc = SourceLoc.here();
        return varianceOf("std", x, ddof, keepdims, axes, loc, true);
    }

    public static Tensor var(Tensor x, int... axes) { return var(x, 0, false, axes); }
    public static Tensor std(Tensor x, int... axes) { return std(x, 0, false, axes); }

    private static Tensor varianceOf(String op, Tensor x, int ddof, boolean keepdims, int[] axes, Location loc, boolean root) {
        if (x.dtype().isBool()) throw new DslException(op, "needs a numeric tensor, got " + x.describe(), loc);
        int[] ax = Ops.axes(x, axes, op, loc);
        DType out = x.dtype().isFloat() ? x.dtype() : DType.F32;
        DType comp = out == DType.BF16 || out == DType.F16 ? DType.F32 : out;
        Tensor xc = Ops.astype(x, comp);
        long n = 1;
        for (int a : ax) n *= x.dims()[a];
        Tensor centered = Ops.sub(xc, keepDims(mean(xc, ax), xc, ax));
        Tensor r = Ops.div(sum(Ops.square(centered), ax), (double) (n - ddof));
        if (n - ddof <= 0) r = Ops.full(r.shape(), Double.NaN, comp);
        if (root) r = Ops.sqrt(r);
        r = Ops.astype(r, out);
        return keepdims ? keepDims(r, x, ax) : r;
    }

    /** {@code jnp.any}: true where some element along the axes (all when none) is true (non-zero for numbers). */
    public static Tensor any(Tensor x, boolean keepdims, int... axes) { return boolReduce("any", "or", 0, x, keepdims, axes); }

    /** {@code jnp.all}: true where every element along the axes (all when none) is true (non-zero for numbers). */
    public static Tensor all(Tensor x, boolean keepdims, int... axes) { return boolReduce("all", "and", 1, x, keepdims, axes); }

    public static Tensor any(Tensor x, int... axes) { return any(x, false, axes); }
    public static Tensor all(Tensor x, int... axes) { return all(x, false, axes); }

    private static Tensor boolReduce(String op, String combiner, double init, Tensor x, boolean keepdims, int[] axes) {
        Location loc = SourceLoc.here();
        int[] ax = Ops.axes(x, axes, op, loc);
        Tensor b = x.dtype().isBool() ? x : Ops.ne(x, Ops.scalar(0, x.dtype()));
        Tensor initT = Ops.scalar(init, DType.BOOL);
        Tensor r = ax.length == 0 ? b : Ops.emit(op, loc, List.of(b),
                () -> Ops.h(op, loc).reduce(Ops.v(b, op, loc), Ops.v(initT, op, loc), Ops.toLongs(ax), combiner, loc));
        return keepdims ? keepDims(r, x, ax) : r;
    }

    /** {@code jnp.cumsum(x, axis)}, or from the end of the axis when {@code reverse} ({@code lax.cumsum(reverse=True)}). */
    public static Tensor cumsum(Tensor x, int axis, boolean reverse) { return Cumulative.of("cumsum", x, axis, reverse); }

    /** {@code jnp.cumprod} / {@code lax.cumprod(reverse=)}. */
    public static Tensor cumprod(Tensor x, int axis, boolean reverse) { return Cumulative.of("cumprod", x, axis, reverse); }
    public static Tensor cumprod(Tensor x, int axis) { return cumprod(x, axis, false); }

    /** {@code lax.cummax}: the running maximum along the axis (NaN propagates). */
    public static Tensor cummax(Tensor x, int axis, boolean reverse) { return Cumulative.of("cummax", x, axis, reverse); }
    public static Tensor cummax(Tensor x, int axis) { return cummax(x, axis, false); }

    /** {@code lax.cummin}: the running minimum along the axis. */
    public static Tensor cummin(Tensor x, int axis, boolean reverse) { return Cumulative.of("cummin", x, axis, reverse); }
    public static Tensor cummin(Tensor x, int axis) { return cummin(x, axis, false); }

    /** {@code lax.cumlogsumexp}: {@code log(cumsum(exp(x)))}, computed stably with {@link Ops#logaddexp} (floats). */
    public static Tensor cumlogsumexp(Tensor x, int axis, boolean reverse) { return Cumulative.of("cumlogsumexp", x, axis, reverse); }
    public static Tensor cumlogsumexp(Tensor x, int axis) { return cumlogsumexp(x, axis, false); }

    /** Inclusive cumulative sum along {@code axis} ({@code jnp.cumsum}): a reduce_window whose window looks back over the whole axis. */
    public static Tensor cumsum(Tensor x, int axis) { return Cumulative.of("cumsum", x, axis, false); }
}
