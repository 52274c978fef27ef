package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;

/**
 * {@code stablehlo.reduce} and {@code stablehlo.reduce_window} with one operand and a recognised combiner: add (the
 * cotangent is broadcast back), multiply, maximum/minimum. A max/min gives the cotangent to the elements equal to the
 * result, elements winning ties with the init: a reduce splits it evenly among them (as JAX's reduce_max), a window
 * gives it to the one select_and_scatter picks (the first); the init gets it only where no element reaches the result
 * (a finite init that wins: max with init 0 is a relu), so the identity init (-inf for max) never does.
 */
final class ReduceRules {
    private ReduceRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.reduce", ReduceRules::reduce);
        in.rule("stablehlo.reduce_window", ReduceRules::reduceWindowSum);
    }

    /** The single binary op a reduction body applies to its two arguments ("add", "maximum", ...), or null. */
    static String combiner(Region body) {
        Block blk = body.entry();
        if (blk.arguments().size() != 2 || blk.operations().size() != 2) return null;
        Operation op = blk.operations().get(0), ret = blk.terminator();
        if (op.numOperands() != 2 || ret.numOperands() != 1 || ret.operand(0) != op.result()) return null;
        boolean args = (op.operand(0) == blk.argument(0) && op.operand(1) == blk.argument(1))
                || (op.operand(0) == blk.argument(1) && op.operand(1) == blk.argument(0));
        return args && op.name().startsWith("stablehlo.") ? op.name().substring("stablehlo.".length()) : null;
    }

    private static List<Value> reduce(Backward b, Operation op, List<Value> g) {
        if (op.numOperands() != 2) throw b.refuse(op, "only single-operand reductions have a VJP rule (got " + op.numOperands() / 2 + " operands)");
        String c = combiner(op.region(0));
        Value x = op.operand(0), y = op.result();
        TensorType xt = Backward.tensor(x);
        long[] dims = Attrs.i64s(op, "dimensions");
        long[] kept = new long[xt.rank() - dims.length];
        for (int d = 0, k = 0; d < xt.rank(); d++) if (!Attrs.contains(dims, d)) kept[k++] = d;
        Value gB = b.broadcast(g.get(0), xt, kept);
        if ("add".equals(c)) {
            // init contributes once per output element.
            return java.util.Arrays.asList(gB, Backward.needsCotangent(op.operand(1)) ? b.sumAll(g.get(0)) : null);
        }
        if ("maximum".equals(c) || "minimum".equals(c)) {
            // y = max(init, x_1, ..., x_n): the cotangent is split evenly among the elements equal to y; the init gets
            // it only where no element reaches y (a finite init wins where every element is below it: max with init 0
            // is a relu), so the identity init -inf of max, softmax and cummax never takes a share.
            Value init = op.operand(1);
            Value mask = b.compare("EQ", x, b.broadcast(y, xt, kept));
            Value ones = b.select(mask, b.fullLike(x, 1), b.zerosLike(x));
            Value count = b.sum(ones, dims);
            // where no element reaches y the elements get 0, not 0/0 (an identity init leaves no such place)
            Value safe = isIdentity(init, c) ? count : b.hlo().maximum(count, b.fullLike(count, 1), b.loc());
            Value gx = b.div(b.mul(gB, ones), b.broadcast(safe, xt, kept));
            if (!Backward.needsCotangent(init)) return java.util.Arrays.asList(gx, null);
            Value initWins = b.hlo().binary("and", b.compare("EQ", b.broadcast(init, Backward.tensor(y), new long[0]), y),
                    b.compare("EQ", count, b.zerosLike(count)), b.loc());
            return List.of(gx, b.sumAll(b.select(initWins, g.get(0), b.zerosLike(y))));
        }
        if ("multiply".equals(c)) {
            // y = init * prod(x): each x_i gets g * init * prod_{j != i} x_j, the init g * prod(x) summed over the results.
            Value init = op.operand(1);
            Value gInit = b.mul(g.get(0), b.broadcast(init, Backward.tensor(y), new long[0]));
            Value gx = product(b, x, dims, kept, gInit);
            if (!Backward.needsCotangent(init)) return java.util.Arrays.asList(gx, null);
            Value prod = b.ir().emit("stablehlo.reduce", List.of(x, b.full(TensorType.scalar(xt.elementType()), 1)),
                    java.util.Map.of("dimensions", op.attr("dimensions")), List.of(b.hlo().combiner("multiply", xt.elementType(), b.loc())),
                    List.of(y.type()), b.loc()).get(0);
            return List.of(gx, b.sumAll(b.mul(g.get(0), prod)));
        }
        throw b.refuse(op, "no VJP rule for a reduction combining with " + (c == null ? "a multi-op body" : "'" + c + "'"));
    }

    /**
     * Windowed sum (cumsum, average pooling): its transpose is a windowed sum of the cotangent, interior-padded by
     * stride - 1 and edge-padded so every input position sees exactly the windows that read it (unit base dilation).
     */
    private static List<Value> reduceWindowSum(Backward b, Operation op, List<Value> g) {
        String comb = op.numOperands() == 2 ? combiner(op.region(0)) : null;
        if ("maximum".equals(comb) || "minimum".equals(comb)) return windowChooser(b, op, g, comb);
        if (!"add".equals(comb)) {
            throw b.refuse(op, "only single-operand windowed sums, maxima and minima have a VJP rule");
        }
        Value x = op.operand(0);
        TensorType xt = Backward.tensor(x), yt = Backward.tensor(op.result());
        int r = xt.rank();
        long[] win = Attrs.i64s(op, "window_dimensions");
        long[] strides = op.attr("window_strides") != null ? Attrs.i64s(op, "window_strides") : ones(r);
        long[] wdil = op.attr("window_dilations") != null ? Attrs.i64s(op, "window_dilations") : ones(r);
        long[] bdil = op.attr("base_dilations") != null ? Attrs.i64s(op, "base_dilations") : ones(r);
        long[] pad = op.attr("padding") != null
                ? Attrs.denseLongs(Attrs.get(op, "padding", io.hlo4j.mlir.attr.DenseElementsAttr.class)) : new long[2 * r];
        long[] lo = new long[r], hi = new long[r], interior = new long[r];
        for (int d = 0; d < r; d++) {
            if (bdil[d] != 1) throw b.refuse(op, "base dilation " + java.util.Arrays.toString(bdil) + " has no VJP rule");
            long wd = dilate(win[d], wdil[d]), od = dilate(yt.dim(d), strides[d]);
            lo[d] = wd - pad[2 * d] - 1;
            hi[d] = xt.dim(d) + wd - 1 - od - lo[d];
            interior[d] = strides[d] - 1;
        }
        Value zero = b.full(TensorType.scalar(xt.elementType()), 0);
        Value padded = b.hlo().pad(g.get(0), zero, lo, hi, interior, b.loc());
        java.util.Map<String, io.hlo4j.mlir.attr.Attribute> props = new java.util.TreeMap<>();
        props.put("window_dimensions", io.hlo4j.mlir.attr.DenseArrayAttr.ofI64(win));
        props.put("window_dilations", io.hlo4j.mlir.attr.DenseArrayAttr.ofI64(wdil));
        Value gx = b.ir().emit("stablehlo.reduce_window", List.of(padded, zero), props,
                List.of(b.hlo().combiner("add", xt.elementType(), b.loc())), List.of(xt), b.loc()).get(0);
        if (!Backward.needsCotangent(op.operand(1))) return java.util.Arrays.asList(gx, null);
        // The init value is added once per window and fills the padding: its cotangent is the result's, times one plus the
        // number of padded positions each window reads (a window sum over the padding's indicator).
        Value gInit = g.get(0);
        boolean padsWithInit = false;
        for (long p : pad) padsWithInit |= p != 0;
        if (padsWithInit) {
            Value indicator = b.hlo().pad(b.zerosLike(x), b.full(TensorType.scalar(xt.elementType()), 1), lowOf(pad),
                    highOf(pad), new long[r], b.loc());
            java.util.Map<String, io.hlo4j.mlir.attr.Attribute> wprops = new java.util.TreeMap<>();
            for (String a : List.of("window_dimensions", "window_strides", "window_dilations")) if (op.attr(a) != null) wprops.put(a, op.attr(a));
            Value count = b.ir().emit("stablehlo.reduce_window", List.of(indicator, zero), wprops,
                    List.of(b.hlo().combiner("add", xt.elementType(), b.loc())), List.of(yt), b.loc()).get(0);
            gInit = b.mul(gInit, b.add(count, b.fullLike(count, 1)));
        }
        return List.of(gx, b.sumAll(gInit));
    }

    private static long dilate(long n, long d) { return n == 0 ? 0 : 1 + d * (n - 1); }

    private static long[] ones(int r) {
        long[] a = new long[r];
        java.util.Arrays.fill(a, 1);
        return a;
    }

    /**
     * Product: d/dx_i = prod of the other elements, built without division (exact at zeros, as JAX does) from an
     * exclusive cumulative product from the left times one from the right, over the reduced elements laid out last.
     */
    private static Value product(Backward b, Value x, long[] dims, long[] kept, Value g) {
        TensorType xt = Backward.tensor(x);
        long[] perm = new long[xt.rank()], inv = new long[xt.rank()];
        long k = 1, n = 1;
        int p = 0;
        for (long d : kept) { perm[p++] = d; k *= xt.dim((int) d); }
        for (long d : dims) { perm[p++] = d; n *= xt.dim((int) d); }
        for (int i = 0; i < perm.length; i++) inv[(int) perm[i]] = i;
        Value xm = b.reshape(b.hlo().transpose(x, perm, b.loc()), new long[] {k, n});
        Value one = b.full(TensorType.scalar(xt.elementType()), 1);
        // left_i = prod_{j<i} x_j: shift right by one (pad a 1, drop the last), then an inclusive cumulative product.
        Value shiftedR = b.hlo().pad(xm, one, new long[] {0, 1}, new long[] {0, -1}, new long[] {0, 0}, b.loc());
        Value left = cumprod(b, shiftedR, n, true, one);
        Value shiftedL = b.hlo().pad(xm, one, new long[] {0, -1}, new long[] {0, 1}, new long[] {0, 0}, b.loc());
        Value right = cumprod(b, shiftedL, n, false, one);
        Value gk = b.broadcast(b.reshape(g, new long[] {k}), TensorType.of(xt.elementType(), k, n), new long[] {0});
        Value gm = b.mul(gk, b.mul(left, right));
        long[] tshape = new long[xt.rank()];
        for (int i = 0; i < perm.length; i++) tshape[i] = xt.dim((int) perm[i]);
        return b.hlo().transpose(b.reshape(gm, tshape), inv, b.loc());
    }

    /** Inclusive cumulative product along dim 1 of a [k, n] tensor, from the left or from the right. */
    private static Value cumprod(Backward b, Value m, long n, boolean fromLeft, Value one) {
        TensorType t = Backward.tensor(m);
        java.util.Map<String, io.hlo4j.mlir.attr.Attribute> props = new java.util.TreeMap<>();
        props.put("window_dimensions", io.hlo4j.mlir.attr.DenseArrayAttr.ofI64(1, n));
        long[] pad = fromLeft ? new long[] {0, 0, n - 1, 0} : new long[] {0, 0, 0, n - 1};
        props.put("padding", io.hlo4j.mlir.build.Constants.ofLongs(TensorType.of(io.hlo4j.mlir.types.IntegerType.I64, 2, 2), pad));
        return b.ir().emit("stablehlo.reduce_window", List.of(m, one), props,
                List.of(b.hlo().combiner("multiply", t.elementType(), b.loc())), List.of(t), b.loc()).get(0);
    }

    private static long[] lowOf(long[] pad) {
        long[] lo = new long[pad.length / 2];
        for (int d = 0; d < lo.length; d++) lo[d] = pad[2 * d];
        return lo;
    }

    private static long[] highOf(long[] pad) {
        long[] hi = new long[pad.length / 2];
        for (int d = 0; d < hi.length; d++) hi[d] = pad[2 * d + 1];
        return hi;
    }

    /**
     * Max/min pooling: the cotangent of each window goes to the element the window selected (the first maximum, as
     * XLA's select_and_scatter picks it), summed over overlapping windows, or to the init where no element of the
     * window reaches the result. Dilated windows are refused.
     */
    private static List<Value> windowChooser(Backward b, Operation op, List<Value> g, String comb) {
        Value x = op.operand(0);
        TensorType xt = Backward.tensor(x);
        int r = xt.rank();
        for (String a : List.of("window_dilations", "base_dilations")) {
            if (op.attr(a) != null && !java.util.Arrays.equals(Attrs.i64s(op, a), ones(r))) {
                throw b.refuse(op, a + " " + java.util.Arrays.toString(Attrs.i64s(op, a)) + " has no VJP rule for max/min windows");
            }
        }
        java.util.Map<String, io.hlo4j.mlir.attr.Attribute> props = new java.util.TreeMap<>();
        for (String a : List.of("window_dimensions", "window_strides", "padding")) if (op.attr(a) != null) props.put(a, op.attr(a));
        TensorType s = TensorType.scalar(xt.elementType());
        io.hlo4j.mlir.ir.Region select = b.hlo().region(List.of(s, s), sb -> List.of(sb.compare("maximum".equals(comb) ? "GE" : "LE",
                sb.ir().argument(0), sb.ir().argument(1), null, b.loc())), b.loc());
        io.hlo4j.mlir.ir.Region scatter = b.hlo().combiner("add", xt.elementType(), b.loc());
        Value zero = b.full(s, 0);
        Value y = op.result(), init = op.operand(1);
        if (isIdentity(init, comb)) {
            return java.util.Arrays.asList(b.ir().emit("stablehlo.select_and_scatter", List.of(x, g.get(0), zero), props,
                    List.of(select, scatter), List.of(xt), b.loc()).get(0), null);
        }
        // y = max(init, window): the selected element (the first that reaches y) takes the window's cotangent, the init
        // only where no element reaches y (a finite init wins there: init 0 is a relu). The largest element of each
        // window is a reduce_window with the identity init, which also fills the padding.
        TensorType yt = Backward.tensor(y);
        Value identity = b.full(s, beyondEvery(xt.elementType(), comb));
        Value best = b.ir().emit("stablehlo.reduce_window", List.of(x, identity), props,
                List.of(b.hlo().combiner(comb, xt.elementType(), b.loc())), List.of(yt), b.loc()).get(0);
        Value reached = b.compare("EQ", best, y);
        long[] pad = op.attr("padding") != null
                ? Attrs.denseLongs(Attrs.get(op, "padding", io.hlo4j.mlir.attr.DenseElementsAttr.class)) : new long[2 * r];
        long[] strides = op.attr("window_strides") != null ? Attrs.i64s(op, "window_strides") : ones(r);
        if (somePaddingOnlyWindow(xt.shape(), yt.shape(), Attrs.i64s(op, "window_dimensions"), strides, pad)) {
            // a window of padding alone has no element, whatever best says (the identity may equal y)
            Value n = b.ir().emit("stablehlo.reduce_window", List.of(b.fullLike(x, 1), zero), props,
                    List.of(b.hlo().combiner("add", xt.elementType(), b.loc())), List.of(yt), b.loc()).get(0);
            reached = b.hlo().binary("and", reached, b.compare("GT", n, b.zerosLike(n)), b.loc());
        }
        Value initWins = b.hlo().binary("and", b.compare("EQ", b.broadcast(init, yt, new long[0]), y),
                b.unary("not", reached), b.loc());
        Value gWindow = b.select(initWins, b.zerosLike(y), g.get(0));
        Value gx = b.ir().emit("stablehlo.select_and_scatter", List.of(x, gWindow, zero), props, List.of(select, scatter),
                List.of(xt), b.loc()).get(0);
        if (!Backward.needsCotangent(init)) return java.util.Arrays.asList(gx, null);
        return List.of(gx, b.sumAll(b.select(initWins, g.get(0), b.zerosLike(y))));
    }

    /**
     * A value no element lies beyond for {@code comb}: -inf (+inf for minimum), or in a format without infinities (where
     * they encode as NaN: f8E4M3FN, the FNUZ kinds, f8E8M0FNU) its lowest (highest) finite value.
     */
    private static double beyondEvery(io.hlo4j.mlir.types.Type et, String comb) {
        boolean max = "maximum".equals(comb);
        double inf = max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        if (!(et instanceof io.hlo4j.mlir.types.FloatType ft)) return inf;
        io.hlo4j.mlir.types.FloatKind k = ft.kind();
        if (!k.finiteOnly()) return inf;
        if (!max) return io.hlo4j.mlir.types.FloatCodec.maxFinite(k);
        // the lowest: -max where the format has a sign, else its bits 0 (f8E8M0FNU's 2^-127)
        return k.signed() ? -io.hlo4j.mlir.types.FloatCodec.maxFinite(k) : io.hlo4j.mlir.types.FloatCodec.decode(k, 0);
    }

    /** Whether some window reads only padding: in some dimension its positions all fall outside x (unit dilations). */
    private static boolean somePaddingOnlyWindow(long[] xs, long[] ys, long[] win, long[] strides, long[] pad) {
        for (int d = 0; d < xs.length; d++) {
            for (long o = 0; o < ys[d]; o++) {
                long start = o * strides[d] - pad[2 * d];
                if (start + win[d] <= 0 || start >= xs[d]) return true;
            }
        }
        return false;
    }

    /** Whether {@code init} is a constant holding the combiner's identity: -inf for maximum, +inf for minimum. */
    private static boolean isIdentity(Value init, String comb) {
        if (!(init instanceof io.hlo4j.mlir.ir.OpResult r) || !r.owner().name().equals("stablehlo.constant")
                || !(r.owner().attr("value") instanceof io.hlo4j.mlir.attr.DenseElementsAttr d)
                || !(d.type().elementType() instanceof io.hlo4j.mlir.types.FloatType ft)) return false;
        double id = "maximum".equals(comb) ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        io.hlo4j.mlir.types.FloatKind k = ft.kind();
        return !k.finiteOnly() // a format with infinities
                && java.util.Arrays.equals(d.rawData(), io.hlo4j.mlir.build.Constants.splat(d.type(), id).rawData());
    }
}
