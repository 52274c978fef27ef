package io.hlo4j.dsl;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The cumulative reductions behind {@link Reductions#cumsum}, {@code cumprod}, {@code cummax}, {@code cummin} and
 * {@code cumlogsumexp}. Sums, maxima and minima are one {@code stablehlo.reduce_window} whose window spans the axis
 * (padded on the low side, or the high side when reversed), the ops whose gradient rules exist. Products and
 * log-sum-exps have no windowed gradient rule, so they are a Hillis-Steele scan of log2(n) steps: each combines
 * the running value with itself shifted by 1, 2, 4, ... (a pad with the identity and a crop), all differentiable ops.
 */
final class Cumulative {
    private Cumulative() {}

    static Tensor of(String op, Tensor x, int axis, boolean reverse) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, op, loc);
        return switch (op) {
            case "cumsum" -> window(op, "add", d -> Ops.scalar(0, d), x.dtype().isBool() ? Ops.astype(x, DType.I32) : x, a, reverse, loc);
            case "cummax" -> window(op, "maximum", Reductions::lowest, noBool(op, x, loc), a, reverse, loc);
            case "cummin" -> window(op, "minimum", Reductions::highest, noBool(op, x, loc), a, reverse, loc);
            case "cumprod" -> scan(x.dtype().isBool() ? Ops.astype(x, DType.I32) : x, a, reverse, 1, Ops::mul);
            case "cumlogsumexp" -> {
                Ops.requireFloat(op, x, loc);
                yield scan(x, a, reverse, Double.NEGATIVE_INFINITY, Ops::logaddexp);
            }
            default -> throw new IllegalStateException(op);
        };
    }

    private static Tensor noBool(String op, Tensor x, Location loc) {
        if (x.dtype().isBool()) throw new DslException(op, "needs a numeric tensor, got " + x.describe() + " (astype it first)", loc);
        return x;
    }

    /** {@code init} gives the combiner's identity for x's dtype (made only when the axis is not empty). */
    private static Tensor window(String op, String combiner, java.util.function.Function<DType, Tensor> init, Tensor x, int a, boolean reverse, Location loc) {
        int r = x.rank();
        long n = x.dims()[a];
        if (n == 0) return x;
        long[] window = new long[r], ones = new long[r], pad = new long[2 * r];
        Arrays.fill(window, 1);
        Arrays.fill(ones, 1);
        window[a] = n;
        pad[2 * a + (reverse ? 1 : 0)] = n - 1;
        Tensor initT = init.apply(x.dtype());
        return Ops.emit(op, loc, List.of(x), () -> {
            StablehloBuilder h = Ops.h(op, loc);
            Region body = h.combiner(combiner, x.dtype().elementType(), loc);
            var padAttr = Constants.ofLongs(TensorType.of(IntegerType.I64, r, 2), pad);
            List<Value> ops = new ArrayList<>(List.of(Ops.v(x, op, loc), Ops.v(initT, op, loc)));
            return h.ir().emit("stablehlo.reduce_window", ops, Map.of("window_dimensions", DenseArrayAttr.ofI64(window),
                    "window_strides", DenseArrayAttr.ofI64(ones), "padding", padAttr), List.of(body), null, loc).get(0);
        });
    }

    private static Tensor scan(Tensor x, int a, boolean reverse, double identity, java.util.function.BinaryOperator<Tensor> combine) {
        int r = x.rank();
        long n = x.dims()[a];
        Tensor y = x;
        for (long k = 1; k < n; k *= 2) {
            long[] lo = new long[r], hi = new long[r], interior = new long[r];
            // forward: element i combines with i - k (identity below k); reversed: with i + k.
            lo[a] = reverse ? -k : k;
            hi[a] = reverse ? k : -k;
            y = combine.apply(y, Ops.pad(y, identity, lo, hi, interior));
        }
        return y;
    }
}
