package io.hlo4j.dsl;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Reductions over axes (all axes when none are given), softmax and friends, and cumulative sums. */
public final class Reductions {
    private Reductions() {}

    static Tensor reduce(String op, String combiner, double init, Tensor x, int[] axes) {
        Location loc = SourceLoc.here();
        int[] ax = Ops.axes(x, axes, op, loc);
        if (ax.length == 0) return x;
        Tensor initT = Ops.scalar(init, x.dtype());
        return Ops.emit(op, loc, List.of(x), () -> Ops.h(op, loc).reduce(Ops.v(x, op, loc), Ops.v(initT, op, loc), Ops.toLongs(ax), combiner, loc));
    }

    static double lowest(DType d) {
        if (d.isFloat()) return Double.NEGATIVE_INFINITY;
        return switch (d) {
            case BOOL, U8, U32, U64 -> 0;
            case I8 -> Byte.MIN_VALUE;
            case I16 -> Short.MIN_VALUE;
            case I32 -> Integer.MIN_VALUE;
            default -> Long.MIN_VALUE;
        };
    }

    static double highest(DType d) {
        if (d.isFloat()) return Double.POSITIVE_INFINITY;
        return switch (d) {
            case BOOL -> 1;
            case U8 -> 255;
            case I8 -> Byte.MAX_VALUE;
            case I16 -> Short.MAX_VALUE;
            case I32 -> Integer.MAX_VALUE;
            case U32 -> 4294967295.0;
            default -> Long.MAX_VALUE;
        };
    }

    public static Tensor sum(Tensor x, int... axes) { return reduce("sum", "add", 0, x, axes); }
    public static Tensor prod(Tensor x, int... axes) { return reduce("prod", "multiply", 1, x, axes); }
    public static Tensor max(Tensor x, int... axes) { return reduce("max", "maximum", lowest(x.dtype()), x, axes); }
    public static Tensor min(Tensor x, int... axes) { return reduce("min", "minimum", highest(x.dtype()), x, axes); }

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
        Tensor initV = Ops.scalar(dir.equals("GT") ? lowest(x.dtype()) : highest(x.dtype()), x.dtype());
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

    /** Inclusive cumulative sum along {@code axis}: a reduce_window whose window looks back over the whole axis. */
    public static Tensor cumsum(Tensor x, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "cumsum", loc);
        int r = x.rank();
        long n = x.dims()[a];
        long[] window = new long[r], ones = new long[r], pad = new long[2 * r];
        Arrays.fill(window, 1);
        Arrays.fill(ones, 1);
        window[a] = n;
        pad[2 * a] = n - 1;
        Tensor init = Ops.scalar(0, x.dtype());
        return Ops.emit("cumsum", loc, List.of(x), () -> {
            StablehloBuilder h = Ops.h("cumsum", loc);
            Region body = h.combiner("add", x.dtype().elementType(), loc);
            var padAttr = Constants.ofLongs(TensorType.of(IntegerType.I64, r, 2), pad);
            List<Value> ops = new ArrayList<>(List.of(Ops.v(x, "cumsum", loc), Ops.v(init, "cumsum", loc)));
            return h.ir().emit("stablehlo.reduce_window", ops, Map.of("window_dimensions", DenseArrayAttr.ofI64(window),
                    "window_strides", DenseArrayAttr.ofI64(ones), "padding", padAttr), List.of(body), null, loc).get(0);
        });
    }
}
