package io.hlo4j.dsl;

import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The element-wise and shape surface, as in jax.numpy: arithmetic with numpy broadcasting (operands must share
 * a dtype; a Java number takes the tensor's dtype), math, comparisons, {@code where}, casts, reshape/transpose/
 * broadcast/squeeze/expandDims, slices, concat, pad, iota/arange and constants.
 */
public final class Ops {
    private Ops() {}

    // ---- plumbing shared by the surface classes ----------------------------------------------------------------

    static StablehloBuilder h(String op, Location loc) { return Trace.current(op, loc).hlo(); }

    static Value v(Tensor t, String op, Location loc) { return Trace.use(t, op, loc); }

    static Tensor emit(String op, Location loc, List<Tensor> operands, Supplier<Value> body) {
        return new Tensor(Trace.guard(op, operands, loc, body));
    }

    static List<Tensor> emitMany(String op, Location loc, List<Tensor> operands, Supplier<List<io.hlo4j.mlir.ir.OpResult>> body) {
        return Control.wrap(Trace.guard(op, operands, loc, body));
    }

    /** Normalises a possibly negative axis; out of range is an error naming the op, the shape and the line. */
    static int axis(Tensor x, int axis, String op, Location loc) {
        int r = x.rank();
        if (axis < -r || axis >= r) {
            throw new DslException(op, "axis " + axis + " is out of range for " + x.describe() + " (rank " + r + ")", loc);
        }
        return axis < 0 ? axis + r : axis;
    }

    static int[] axes(Tensor x, int[] axes, String op, Location loc) {
        if (axes.length == 0) {
            int[] all = new int[x.rank()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) out[i] = axis(x, axes[i], op, loc);
        int[] sorted = out.clone();
        Arrays.sort(sorted);
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] == sorted[i - 1]) throw new DslException(op, "repeated axis " + sorted[i] + " for " + x.describe(), loc);
        }
        return sorted;
    }

    static long[] toLongs(int[] a) {
        long[] l = new long[a.length];
        for (int i = 0; i < a.length; i++) l[i] = a[i];
        return l;
    }

    /**
     * Emits any registered op on tensors (for ops without a DSL method, e.g. collectives): result types are
     * inferred when {@code resultTypes} is null. Still verified at emission like every other op.
     */
    public static List<Tensor> op(String opName, List<Tensor> operands, java.util.Map<String, ? extends io.hlo4j.mlir.attr.Attribute> properties,
                                  List<TensorType> resultTypes) {
        Location loc = SourceLoc.here();
        return Control.wrap(Trace.emit(opName, operands, properties, List.of(), resultTypes, opName, loc));
    }

    // ---- constants ------------------------------------------------------------------------------------------

    /** A scalar constant of {@code dtype}. */
    public static Tensor scalar(double value, DType dtype) { return full(Shape.SCALAR, value, dtype); }

    public static Tensor full(Shape shape, double value, DType dtype) {
        Location loc = SourceLoc.here();
        TensorType t = TensorType.of(dtype.elementType(), shape.dims());
        return emit("full", loc, List.of(), () -> h("full", loc).constant(t, value, loc));
    }

    /**
     * A scalar integer constant given by its bits (two's complement, truncated to the dtype's width), for values a
     * double cannot hold exactly: u64's 2^64 - 1, i64's 2^63 - 1. The same splat literal as {@link #scalar} where both fit.
     */
    static Tensor scalarBits(long bits, DType dtype) {
        Location loc = SourceLoc.here();
        TensorType t = TensorType.scalar(dtype.elementType());
        byte[] b = new byte[dtype.elementType().storageBytes()];
        for (int k = 0; k < b.length; k++) b[k] = (byte) (bits >>> (8 * k));
        return emit("full", loc, List.of(), () -> h("full", loc).constant(io.hlo4j.mlir.attr.DenseElementsAttr.splat(t, b), loc));
    }

    public static Tensor zeros(Shape shape, DType dtype) { return full(shape, 0, dtype); }
    public static Tensor ones(Shape shape, DType dtype) { return full(shape, 1, dtype); }

    /** A constant with the given row-major values. */
    public static Tensor constant(double[] values, Shape shape, DType dtype) {
        Location loc = SourceLoc.here();
        if (values.length != shape.size()) {
            throw new DslException("constant", values.length + " values do not fill shape " + shape, loc);
        }
        TensorType t = TensorType.of(dtype.elementType(), shape.dims());
        return emit("constant", loc, List.of(), () -> h("constant", loc).constant(Constants.of(t, values), loc));
    }

    /** Counts up along {@code dimension}; a dimension outside the shape is refused by stablehlo.iota's own check. */
    public static Tensor iota(DType dtype, Shape shape, int dimension) {
        Location loc = SourceLoc.here();
        return emit("iota", loc, List.of(), () -> h("iota", loc).iota(TensorType.of(dtype.elementType(), shape.dims()), dimension, loc));
    }

    /** {@code [0, 1, ..., n-1]}. */
    public static Tensor arange(long n, DType dtype) { return iota(dtype, Shape.of(n), 0); }

    // ---- element-wise --------------------------------------------------------------------------------------

    static Tensor unary(String op, String mnemonic, Tensor x) {
        Location loc = SourceLoc.here();
        Value a = v(x, op, loc);
        return emit(op, loc, List.of(x), () -> h(op, loc).unary(mnemonic, a, loc));
    }

    static void requireFloat(String op, Tensor x, Location loc) {
        if (!x.dtype().isFloat()) throw new DslException(op, "needs a floating-point tensor, got " + x.describe(), loc);
    }

    public static Tensor neg(Tensor x) { return unary("neg", "negate", x); }
    public static Tensor exp(Tensor x) { return unary("exp", "exponential", x); }
    public static Tensor expm1(Tensor x) { return unary("expm1", "exponential_minus_one", x); }
    public static Tensor log(Tensor x) { return unary("log", "log", x); }
    public static Tensor log1p(Tensor x) { return unary("log1p", "log_plus_one", x); }
    public static Tensor sqrt(Tensor x) { return unary("sqrt", "sqrt", x); }
    public static Tensor rsqrt(Tensor x) { return unary("rsqrt", "rsqrt", x); }
    public static Tensor tanh(Tensor x) { return unary("tanh", "tanh", x); }
    public static Tensor sin(Tensor x) { return unary("sin", "sine", x); }
    public static Tensor cos(Tensor x) { return unary("cos", "cosine", x); }
    public static Tensor abs(Tensor x) { return unary("abs", "abs", x); }
    public static Tensor sign(Tensor x) { return unary("sign", "sign", x); }
    public static Tensor floor(Tensor x) { return unary("floor", "floor", x); }
    public static Tensor ceil(Tensor x) { return unary("ceil", "ceil", x); }
    public static Tensor round(Tensor x) { return unary("round", "round_nearest_even", x); }
    public static Tensor sigmoid(Tensor x) { return unary("sigmoid", "logistic", x); }
    public static Tensor logicalNot(Tensor x) { return unary("logicalNot", "not", x); }
    public static Tensor square(Tensor x) { return mul(x, x); }

    /** True where {@code x} is neither infinite nor NaN. */
    public static Tensor isFinite(Tensor x) {
        Location loc = SourceLoc.here();
        requireFloat("isFinite", x, loc);
        Value a = v(x, "isFinite", loc);
        return emit("isFinite", loc, List.of(x), () -> h("isFinite", loc).ir().emit1("stablehlo.is_finite", List.of(a), java.util.Map.of(), loc));
    }

    /**
     * The result type of {@code opName} by its registered type rule on {@code operands}' types, for ops the DSL lowers
     * differently (chlo.broadcast_* is numpy broadcasting; the DSL emits broadcast_in_dim + the stablehlo op). Call it
     * inside {@link #emit}, whose guard turns the rule's refusal into one naming the DSL op, the operands and the line.
     */
    static TensorType rule(String op, String opName, List<Tensor> operands, Location loc) {
        List<io.hlo4j.mlir.types.Type> ts = new ArrayList<>(operands.size());
        for (Tensor t : operands) ts.add(t.type());
        try {
            return ruleOnTypes(op, opName, ts, loc);
        } catch (DslException e) {
            throw e;
        } catch (io.hlo4j.mlir.ir.Hlo4jException e) {
            if (!dataDtypesDiffer(opName, operands)) throw e;
            // the user's fix for this one is a cast: say so, as the DSL always has
            throw new DslException(op, "invalid operands " + Tensor.describeAll(operands) + ": " + e.getMessage() + " (cast one with astype)", loc, e);
        }
    }

    /** Whether the operands that must share a dtype (all but select's predicate) do not. */
    private static boolean dataDtypesDiffer(String opName, List<Tensor> operands) {
        List<Tensor> data = opName.equals("chlo.broadcast_select") ? operands.subList(1, operands.size()) : operands;
        return data.stream().map(Tensor::dtype).distinct().count() > 1;
    }

    static TensorType ruleOnTypes(String op, String opName, List<? extends io.hlo4j.mlir.types.Type> types, Location loc) {
        var def = Trace.current(op, loc).ir().registry().lookup(opName);
        return (TensorType) def.typeInference().inferResultTypes(List.copyOf(types), io.hlo4j.mlir.attr.DictionaryAttr.of(java.util.Map.of()),
                List.of()).get(0);
    }

    /** chlo's broadcasting form of each element-wise stablehlo op the DSL offers: its type rule is the DSL's broadcasting. */
    private static final java.util.Map<String, String> BROADCASTING = java.util.Map.ofEntries(java.util.Map.entry("add", "add"),
            java.util.Map.entry("subtract", "sub"), java.util.Map.entry("multiply", "mul"), java.util.Map.entry("divide", "div"),
            java.util.Map.entry("remainder", "rem"), java.util.Map.entry("power", "pow"), java.util.Map.entry("maximum", "max"),
            java.util.Map.entry("minimum", "min"), java.util.Map.entry("atan2", "atan2"), java.util.Map.entry("and", "and"),
            java.util.Map.entry("or", "or"), java.util.Map.entry("xor", "xor"), java.util.Map.entry("shift_left", "shift_left"),
            java.util.Map.entry("shift_right_logical", "shift_right_logical"),
            java.util.Map.entry("shift_right_arithmetic", "shift_right_arithmetic"));

    private static String broadcasting(String mnemonic) {
        String b = BROADCASTING.get(mnemonic);
        if (b == null) throw new IllegalStateException("no chlo broadcasting op for stablehlo." + mnemonic + " (add it to Ops.BROADCASTING)");
        return "chlo.broadcast_" + b;
    }

    /** {@code x} broadcast (numpy rules: trailing alignment) to {@code shape}; the same value when already there. */
    static Value broadcastValue(Tensor x, long[] shape, String op, Location loc) {
        Value xv = v(x, op, loc);
        if (Arrays.equals(x.dims(), shape)) return xv;
        long[] xd = x.dims();
        int off = shape.length - xd.length;
        List<Long> keepDims = new ArrayList<>();
        List<Long> keepShape = new ArrayList<>();
        for (int i = 0; i < xd.length; i++) {
            if (xd[i] == shape[off + i]) { keepDims.add((long) (off + i)); keepShape.add(xd[i]); }
            else if (xd[i] != 1) throw new DslException(op, "cannot broadcast " + x.describe() + " to " + Arrays.toString(shape), loc);
        }
        StablehloBuilder hb = h(op, loc);
        Value src = xv;
        if (keepShape.size() != xd.length) src = hb.reshape(xv, keepShape.stream().mapToLong(Long::longValue).toArray(), loc);
        return hb.broadcastInDim(src, shape, keepDims.stream().mapToLong(Long::longValue).toArray(), loc);
    }

    /** One dtype for both operands, numpy broadcasting: chlo.broadcast_{op}'s type rule, then broadcast_in_dim + the stablehlo op. */
    static Tensor binary(String op, String mnemonic, Tensor a, Tensor b) {
        Location loc = SourceLoc.here();
        return emit(op, loc, List.of(a, b), () -> {
            long[] shape = rule(op, broadcasting(mnemonic), List.of(a, b), loc).shape();
            Value x = broadcastValue(a, shape, op, loc), y = broadcastValue(b, shape, op, loc);
            return h(op, loc).binary(mnemonic, x, y, loc);
        });
    }

    static Tensor like(double value, Tensor t) { return scalar(value, t.dtype()); }

    public static Tensor add(Tensor a, Tensor b) { return binary("add", "add", a, b); }
    public static Tensor add(Tensor a, double b) { return binary("add", "add", a, like(b, a)); }
    public static Tensor sub(Tensor a, Tensor b) { return binary("sub", "subtract", a, b); }
    public static Tensor sub(Tensor a, double b) { return binary("sub", "subtract", a, like(b, a)); }
    public static Tensor sub(double a, Tensor b) { return binary("sub", "subtract", like(a, b), b); }
    public static Tensor mul(Tensor a, Tensor b) { return binary("mul", "multiply", a, b); }
    public static Tensor mul(Tensor a, double b) { return binary("mul", "multiply", a, like(b, a)); }
    public static Tensor div(Tensor a, Tensor b) { return binary("div", "divide", a, b); }
    public static Tensor div(Tensor a, double b) { return binary("div", "divide", a, like(b, a)); }
    public static Tensor div(double a, Tensor b) { return binary("div", "divide", like(a, b), b); }
    public static Tensor rem(Tensor a, Tensor b) { return binary("rem", "remainder", a, b); }
    public static Tensor pow(Tensor a, Tensor b) { return binary("pow", "power", a, b); }
    public static Tensor pow(Tensor a, double b) { return binary("pow", "power", a, like(b, a)); }
    public static Tensor maximum(Tensor a, Tensor b) { return binary("maximum", "maximum", a, b); }
    public static Tensor maximum(Tensor a, double b) { return binary("maximum", "maximum", a, like(b, a)); }
    public static Tensor minimum(Tensor a, Tensor b) { return binary("minimum", "minimum", a, b); }
    public static Tensor minimum(Tensor a, double b) { return binary("minimum", "minimum", a, like(b, a)); }
    public static Tensor logicalAnd(Tensor a, Tensor b) { return binary("logicalAnd", "and", a, b); }
    public static Tensor logicalOr(Tensor a, Tensor b) { return binary("logicalOr", "or", a, b); }

    static Tensor compare(String op, String dir, Tensor a, Tensor b) {
        Location loc = SourceLoc.here();
        String type = a.dtype().isFloat() ? "FLOAT" : a.dtype().isUnsigned() || a.dtype().isBool() ? "UNSIGNED" : "SIGNED";
        return emit(op, loc, List.of(a, b), () -> {
            long[] shape = rule(op, "chlo.broadcast_compare", List.of(a, b), loc).shape();
            return h(op, loc).compare(dir, broadcastValue(a, shape, op, loc), broadcastValue(b, shape, op, loc), type, loc);
        });
    }

    public static Tensor eq(Tensor a, Tensor b) { return compare("eq", "EQ", a, b); }
    public static Tensor ne(Tensor a, Tensor b) { return compare("ne", "NE", a, b); }
    public static Tensor lt(Tensor a, Tensor b) { return compare("lt", "LT", a, b); }
    public static Tensor le(Tensor a, Tensor b) { return compare("le", "LE", a, b); }
    public static Tensor gt(Tensor a, Tensor b) { return compare("gt", "GT", a, b); }
    public static Tensor ge(Tensor a, Tensor b) { return compare("ge", "GE", a, b); }
    public static Tensor gt(Tensor a, double b) { return compare("gt", "GT", a, like(b, a)); }
    public static Tensor lt(Tensor a, double b) { return compare("lt", "LT", a, like(b, a)); }

    /** {@code pred ? a : b} element-wise, all three broadcast together; pred must be bool (chlo.broadcast_select's type rule). */
    public static Tensor where(Tensor pred, Tensor a, Tensor b) {
        Location loc = SourceLoc.here();
        return emit("where", loc, List.of(pred, a, b), () -> {
            long[] fin = rule("where", "chlo.broadcast_select", List.of(pred, a, b), loc).shape();
            return h("where", loc).select(broadcastValue(pred, fin, "where", loc), broadcastValue(a, fin, "where", loc),
                    broadcastValue(b, fin, "where", loc), loc);
        });
    }

    public static Tensor where(Tensor pred, Tensor a, double b) { return where(pred, a, like(b, a)); }
    public static Tensor where(Tensor pred, double a, Tensor b) { return where(pred, like(a, b), b); }

    public static Tensor ge(Tensor a, double b) { return compare("ge", "GE", a, like(b, a)); }
    public static Tensor le(Tensor a, double b) { return compare("le", "LE", a, like(b, a)); }
    public static Tensor eq(Tensor a, double b) { return compare("eq", "EQ", a, like(b, a)); }
    public static Tensor ne(Tensor a, double b) { return compare("ne", "NE", a, like(b, a)); }

    /** {@code jnp.arctan2(y, x)}: the angle of (x, y), in (-pi, pi]; numpy broadcasting. */
    public static Tensor atan2(Tensor y, Tensor x) { return binary("atan2", "atan2", y, x); }

    /** True where {@code x} is NaN ({@code jnp.isnan}): {@code x != x}. */
    public static Tensor isNan(Tensor x) {
        requireFloat("isNan", x, SourceLoc.here());
        return ne(x, x);
    }

    /** True where {@code x} is +inf or -inf ({@code jnp.isinf}). */
    public static Tensor isInf(Tensor x) {
        requireFloat("isInf", x, SourceLoc.here());
        return eq(abs(x), like(Double.POSITIVE_INFINITY, x));
    }

    /**
     * {@code jnp.clip(x, min, max)}: {@code minimum(max, maximum(min, x))}, numpy broadcasting; either bound may be
     * null (no bound). As in JAX and numpy, the upper bound wins where {@code min > max}, and NaN in {@code x} stays NaN.
     */
    public static Tensor clip(Tensor x, Tensor min, Tensor max) {
        Tensor r = x;
        if (min != null) r = maximum(min, r);
        if (max != null) r = minimum(max, r);
        return r;
    }

    /** {@link #clip(Tensor, Tensor, Tensor)} with constant bounds; {@code Double.NaN} is refused (use null for no bound). */
    public static Tensor clip(Tensor x, Double min, Double max) {
        Location loc = SourceLoc.here();
        if ((min != null && min.isNaN()) || (max != null && max.isNaN())) {
            throw new DslException("clip", "bound is NaN (min " + min + ", max " + max + ") for " + x.describe() + "; pass null for no bound", loc);
        }
        return clip(x, min == null ? null : like(min, x), max == null ? null : like(max, x));
    }

    /**
     * {@code jnp.logaddexp(a, b) = log(exp(a) + exp(b))}, computed as {@code max + log1p(exp(-|a - b|))}. Where
     * {@code a - b} is NaN because both are the same infinity the difference is taken as 0 (so -inf, -inf gives -inf
     * with a finite gradient); NaN inputs give NaN.
     */
    public static Tensor logaddexp(Tensor a, Tensor b) {
        Location loc = SourceLoc.here();
        requireFloat("logaddexp", a, loc);
        Tensor amax = maximum(a, b);
        Tensor delta = sub(a, b);
        Tensor bothInf = logicalAnd(isInf(a), eq(a, b));
        Tensor safe = where(bothInf, like(0, delta), delta);
        return add(amax, log1p(exp(neg(abs(safe)))));
    }

    /**
     * {@code jnp.linspace(start, stop, num, endpoint)} along a new leading axis: JAX's formula
     * {@code start * (1 - i/div) + stop * (i/div)} with {@code div = num - 1} (endpoint) or {@code num}, the endpoint
     * appended exactly. {@code start} and {@code stop} are float tensors that broadcast together (scalars for the plain
     * form); the result is [num, *their shape]. num 1 gives {@code [start]}; num 0 an empty axis.
     */
    public static Tensor linspace(Tensor start, Tensor stop, long num, boolean endpoint) {
        Location loc = SourceLoc.here();
        if (num < 0) throw new DslException("linspace", "number of samples " + num + " must be non-negative", loc);
        requireFloat("linspace", start, loc);
        long[] bounds = rule("linspace", "chlo.broadcast_add", List.of(start, stop), loc).shape();
        Tensor s = broadcastTo(start, bounds), e = broadcastTo(stop, bounds);
        long[] withAxis = new long[bounds.length + 1];
        withAxis[0] = 1;
        System.arraycopy(bounds, 0, withAxis, 1, bounds.length);
        if (num == 0) {
            withAxis[0] = 0;
            return zeros(Shape.of(withAxis), start.dtype());
        }
        Tensor s1 = reshape(s, withAxis);
        if (num == 1) return s1;
        long div = endpoint ? num - 1 : num;
        long[] iotaShape = withAxis.clone();
        iotaShape[0] = div;
        Tensor step = div(iota(start.dtype(), Shape.of(iotaShape), 0), (double) div);
        Tensor out = add(mul(s1, sub(1.0, step)), mul(reshape(e, withAxis), step));
        return endpoint ? concat(0, out, reshape(e, withAxis)) : out;
    }

    /** {@code jnp.linspace(start, stop, num, endpoint, dtype=dtype)} for constant bounds (a float dtype). */
    public static Tensor linspace(double start, double stop, long num, boolean endpoint, DType dtype) {
        Location loc = SourceLoc.here();
        if (!dtype.isFloat()) throw new DslException("linspace", "needs a floating-point dtype, got " + dtype, loc);
        return linspace(scalar(start, dtype), scalar(stop, dtype), num, endpoint);
    }

    public static Tensor astype(Tensor x, DType to) {
        Location loc = SourceLoc.here();
        if (x.dtype() == to) return x;
        Value a = v(x, "astype", loc);
        return emit("astype", loc, List.of(x), () -> h("astype", loc).convert(a, to.elementType(), loc));
    }

    /** Reinterprets the bits of each element as {@code to} (same bit width). */
    public static Tensor bitcast(Tensor x, DType to) {
        Location loc = SourceLoc.here();
        if (x.type().elementType().storageBytes() != to.elementType().storageBytes()) {
            throw new DslException("bitcast", "cannot reinterpret " + x.describe() + " as " + to + " (different bit widths)", loc);
        }
        Value a = v(x, "bitcast", loc);
        return emit("bitcast", loc, List.of(x), () -> h("bitcast", loc).ir().emit("stablehlo.bitcast_convert", List.of(a), java.util.Map.of(),
                List.of(), List.of(x.type().withElementType(to.elementType())), loc).get(0));
    }

    // ---- shape -------------------------------------------------------------------------------------------

    /** Reshape; one dimension may be -1 (inferred). The element count must match. */
    public static Tensor reshape(Tensor x, long... dims) {
        Location loc = SourceLoc.here();
        long[] d = dims.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1) {
                if (infer >= 0) throw new DslException("reshape", "more than one -1 in " + Arrays.toString(dims), loc);
                infer = i;
            } else known *= d[i];
        }
        if (infer >= 0 && known != 0) d[infer] = x.size() / known;
        long n = 1;
        for (long e : d) n *= e;
        if (n != x.size() || (infer >= 0 && known == 0)) {
            throw new DslException("reshape", "cannot reshape " + x.describe() + " (" + x.size() + " elements) to " + Arrays.toString(dims), loc);
        }
        if (Arrays.equals(d, x.dims())) return x;
        Value a = v(x, "reshape", loc);
        return emit("reshape", loc, List.of(x), () -> h("reshape", loc).reshape(a, d, loc));
    }

    /** Reverses the dimensions. */
    public static Tensor transpose(Tensor x) {
        int[] p = new int[x.rank()];
        for (int i = 0; i < p.length; i++) p[i] = p.length - 1 - i;
        return transpose(x, p);
    }

    /** Result axis i is axis {@code perm[i]} of {@code x}; stablehlo.transpose's type rule checks the permutation. */
    public static Tensor transpose(Tensor x, int... perm) {
        Location loc = SourceLoc.here();
        Value a = v(x, "transpose", loc);
        return emit("transpose", loc, List.of(x), () -> h("transpose", loc).transpose(a, toLongs(perm), loc));
    }

    public static Tensor broadcastTo(Tensor x, long... dims) {
        Location loc = SourceLoc.here();
        if (dims.length < x.rank()) throw new DslException("broadcastTo", "cannot broadcast " + x.describe() + " to lower rank " + Arrays.toString(dims), loc);
        return emit("broadcastTo", loc, List.of(x), () -> broadcastValue(x, dims, "broadcastTo", loc));
    }

    /** Drops the given size-1 axes (all size-1 axes when none are given). */
    public static Tensor squeeze(Tensor x, int... axes) {
        Location loc = SourceLoc.here();
        List<Long> keep = new ArrayList<>();
        if (axes.length == 0) {
            for (long d : x.dims()) if (d != 1) keep.add(d);
        } else {
            int[] ax = axes(x, axes, "squeeze", loc);
            for (int i = 0; i < x.rank(); i++) {
                if (Arrays.binarySearch(ax, i) >= 0) {
                    if (x.dims()[i] != 1) throw new DslException("squeeze", "axis " + i + " of " + x.describe() + " has size " + x.dims()[i] + ", not 1", loc);
                } else keep.add(x.dims()[i]);
            }
        }
        return reshape(x, keep.stream().mapToLong(Long::longValue).toArray());
    }

    public static Tensor expandDims(Tensor x, int axis) {
        Location loc = SourceLoc.here();
        int r = x.rank() + 1;
        if (axis < -r || axis >= r) throw new DslException("expandDims", "axis " + axis + " is out of range for " + x.describe(), loc);
        int a = axis < 0 ? axis + r : axis;
        long[] d = new long[r];
        for (int i = 0, j = 0; i < r; i++) d[i] = i == a ? 1 : x.dims()[j++];
        return reshape(x, d);
    }

    // ---- slicing and joining --------------------------------------------------------------------------------

    public static Tensor slice(Tensor x, long[] start, long[] limit) {
        long[] ones = new long[x.rank()];
        Arrays.fill(ones, 1);
        return slice(x, start, limit, ones);
    }

    /** Elements {@code start[i]}, {@code start[i] + strides[i]}, ... below {@code limit[i]}; stablehlo.slice's type rule checks the bounds. */
    public static Tensor slice(Tensor x, long[] start, long[] limit, long[] strides) {
        Location loc = SourceLoc.here();
        Value a = v(x, "slice", loc);
        return emit("slice", loc, List.of(x), () -> h("slice", loc).slice(a, start, limit, strides, loc));
    }

    /** Slice of {@code sizes} at runtime {@code starts} (scalar integer tensors, clamped into range as the spec says). */
    public static Tensor dynamicSlice(Tensor x, List<Tensor> starts, long... sizes) {
        Location loc = SourceLoc.here();
        List<Value> sv = starts.stream().map(s -> v(s, "dynamicSlice", loc)).toList();
        List<Tensor> all = new ArrayList<>(List.of(x));
        all.addAll(starts);
        return emit("dynamicSlice", loc, all, () -> h("dynamicSlice", loc).dynamicSlice(v(x, "dynamicSlice", loc), sv, sizes, loc));
    }

    public static Tensor dynamicUpdateSlice(Tensor x, Tensor update, List<Tensor> starts) {
        Location loc = SourceLoc.here();
        List<Value> sv = starts.stream().map(s -> v(s, "dynamicUpdateSlice", loc)).toList();
        List<Tensor> all = new ArrayList<>(List.of(x, update));
        all.addAll(starts);
        return emit("dynamicUpdateSlice", loc, all,
                () -> h("dynamicUpdateSlice", loc).dynamicUpdateSlice(v(x, "dynamicUpdateSlice", loc), v(update, "dynamicUpdateSlice", loc), sv, loc));
    }

    /**
     * Joins {@code xs} along {@code axis} (negative counts from the end of the first tensor's axes); stablehlo.concatenate's
     * type rule refuses tensors that differ in dtype, rank or size outside the axis.
     */
    public static Tensor concat(int axis, List<Tensor> xs) {
        Location loc = SourceLoc.here();
        int a = xs.isEmpty() ? axis : axis(xs.get(0), axis, "concat", loc);
        List<Value> vs = xs.stream().map(t -> v(t, "concat", loc)).toList();
        return emit("concat", loc, xs, () -> h("concat", loc).concatenate(vs, a, loc));
    }

    public static Tensor concat(int axis, Tensor... xs) { return concat(axis, List.of(xs)); }

    public static Tensor stack(int axis, List<Tensor> xs) {
        return concat(axis, xs.stream().map(t -> expandDims(t, axis)).toList());
    }

    /**
     * Pads with {@code value}: low/high edge padding (may be negative, cropping) and interior padding per axis, as
     * stablehlo.pad's type rule checks them.
     */
    public static Tensor pad(Tensor x, double value, long[] low, long[] high, long[] interior) {
        Location loc = SourceLoc.here();
        Tensor pv = scalar(value, x.dtype());
        return emit("pad", loc, List.of(x), () -> h("pad", loc).pad(v(x, "pad", loc), v(pv, "pad", loc), low, high, interior, loc));
    }
}
