package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Location;

import java.util.List;

/** Activations, normalisations and one-hot encoding, as Java compositions of primitive ops (no new ops). */
public final class Nn {
    private Nn() {}

    public static Tensor relu(Tensor x) { return Ops.maximum(x, 0.0); }

    public static Tensor sigmoid(Tensor x) { return Ops.sigmoid(x); }

    /** {@code x * sigmoid(x)}. */
    public static Tensor silu(Tensor x) { return Ops.mul(x, Ops.sigmoid(x)); }

    public static Tensor softplus(Tensor x) {
        // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), finite for large |x|.
        return Ops.add(Ops.maximum(x, 0.0), Ops.log1p(Ops.exp(Ops.neg(Ops.abs(x)))));
    }

    /** GELU; {@code approximate} selects the tanh form, otherwise the exact {@code x/2 (1 + erf(x/sqrt 2))}. */
    public static Tensor gelu(Tensor x, boolean approximate) {
        Ops.requireFloat("gelu", x, SourceLoc.here());
        if (approximate) {
            Tensor inner = Ops.mul(Ops.add(x, Ops.mul(Ops.mul(Ops.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
            return Ops.mul(Ops.mul(x, 0.5), Ops.add(Ops.tanh(inner), 1.0));
        }
        return Ops.mul(Ops.mul(x, 0.5), Ops.add(erf(Ops.mul(x, 1 / Math.sqrt(2))), 1.0));
    }

    /**
     * erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, enough for f32):
     * {@code sign(x) (1 - poly(t) e^{-x^2})}, {@code t = 1/(1 + p|x|)}.
     */
    public static Tensor erf(Tensor x) {
        Ops.requireFloat("erf", x, SourceLoc.here());
        Tensor ax = Ops.abs(x);
        Tensor t = Ops.div(1.0, Ops.add(Ops.mul(ax, 0.3275911), 1.0));
        double[] a = {0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429};
        Tensor poly = Ops.mul(t, a[4]);
        for (int i = 3; i >= 0; i--) poly = Ops.mul(Ops.add(poly, a[i]), t);
        Tensor y = Ops.sub(1.0, Ops.mul(poly, Ops.exp(Ops.neg(Ops.mul(ax, ax)))));
        return Ops.mul(Ops.sign(x), y);
    }

    /**
     * Inverted dropout: with {@code training}, each element is kept with probability {@code 1 - rate} (a uniform
     * draw from {@code key}, a u32[2] {@link Random} key, below {@code 1 - rate}) and scaled by {@code 1/(1-rate)}
     * so the expectation is unchanged; the rest are 0. Without {@code training}, or with rate 0, {@code x} itself.
     * Rate 1 drops everything (zeros). Use a fresh key per step and layer ({@link Random#foldIn}).
     */
    public static Tensor dropout(Tensor x, double rate, Tensor key, boolean training) {
        Location loc = SourceLoc.here();
        Ops.requireFloat("dropout", x, loc);
        if (!(rate >= 0 && rate <= 1)) throw new DslException("dropout", "rate must be in [0, 1], got " + rate + " for " + x.describe(), loc);
        if (!training || rate == 0) return x;
        if (key == null || key.dtype() != DType.U32 || key.rank() != 1 || key.dim(0) != 2) {
            throw new DslException("dropout", "key must be a ui32[2] key from Random.key, got " + (key == null ? "null" : key.describe()), loc);
        }
        if (rate == 1) return Ops.zeros(x.shape(), x.dtype());
        Tensor keep = Ops.lt(Random.uniform(key, x.shape(), DType.F32), 1 - rate);
        return Ops.where(keep, Ops.div(x, 1 - rate), 0.0);
    }

    /**
     * {@code softmax(q k^T * scale + mask) v} in JAX's layout: query [batch, q_seq, heads, head_dim], key and value
     * [batch, kv_seq, kv_heads, head_dim] (heads a multiple of kv_heads: grouped-query attention). {@code mask}: bool,
     * true where attending is allowed, broadcastable to [batch, heads, q_seq, kv_seq], or null; {@code causal}: query t
     * sees key positions s <= t. bf16/f16 inputs take their logits and softmax in f32; the result has q's dtype.
     */
    public static Tensor dotProductAttention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        return Attention.apply(q, k, v, mask, causal, scale, SourceLoc.here());
    }

    /** As above with {@code scale = 1/sqrt(head_dim)}. */
    public static Tensor dotProductAttention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal) {
        Location loc = SourceLoc.here();
        if (q.rank() != 4) throw new DslException("dotProductAttention", "query must be [batch, seq, heads, head_dim], got " + q.describe(), loc);
        return Attention.apply(q, k, v, mask, causal, 1 / Math.sqrt(q.dim(3)), loc);
    }

    /** Unmasked, {@code scale = 1/sqrt(head_dim)}. */
    public static Tensor dotProductAttention(Tensor q, Tensor k, Tensor v) { return dotProductAttention(q, k, v, null, false); }

    /**
     * RMSNorm over the last axis: {@code x / sqrt(mean(x^2) + eps) * scale}, {@code scale} of shape [last dim] or null
     * (none). bf16 and f16 inputs are normalised in f32 and rounded back once, as mixed-precision models do.
     */
    public static Tensor rmsNorm(Tensor x, Tensor scale, double eps) {
        Location loc = SourceLoc.here();
        Tensor xf = normInput("rmsNorm", x, loc);
        int last = x.rank() - 1;
        Tensor ms = Reductions.keepDims(Reductions.mean(Ops.square(xf), last), xf, last);
        return affine("rmsNorm", x, Ops.mul(xf, Ops.rsqrt(Ops.add(ms, eps))), scale, null, loc);
    }

    /**
     * LayerNorm over the last axis: {@code (x - mean) / sqrt(var + eps) * scale + bias} with the biased variance
     * (PyTorch's and flax's); {@code scale} and {@code bias} of shape [last dim] or null. Narrow floats as in
     * {@link #rmsNorm}.
     */
    public static Tensor layerNorm(Tensor x, Tensor scale, Tensor bias, double eps) {
        Location loc = SourceLoc.here();
        Tensor xf = normInput("layerNorm", x, loc);
        int last = x.rank() - 1;
        Tensor centered = Ops.sub(xf, Reductions.keepDims(Reductions.mean(xf, last), xf, last));
        Tensor var = Reductions.keepDims(Reductions.mean(Ops.square(centered), last), xf, last);
        return affine("layerNorm", x, Ops.mul(centered, Ops.rsqrt(Ops.add(var, eps))), scale, bias, loc);
    }

    private static Tensor normInput(String op, Tensor x, Location loc) {
        Ops.requireFloat(op, x, loc);
        if (x.rank() == 0) throw new DslException(op, "needs at least one axis, got " + x.describe(), loc);
        return x.dtype() == DType.BF16 || x.dtype() == DType.F16 ? Ops.astype(x, DType.F32) : x;
    }

    /** {@code normed * scale + bias} in the statistics' dtype, then back to x's dtype. */
    private static Tensor affine(String op, Tensor x, Tensor normed, Tensor scale, Tensor bias, Location loc) {
        long n = x.dim(x.rank() - 1);
        for (Tensor p : new Tensor[] {scale, bias}) {
            if (p == null) continue;
            if (p.rank() != 1 || p.dim(0) != n || p.dtype() != x.dtype()) {
                throw new DslException(op, (p == scale ? "scale " : "bias ") + p.describe() + " must be " + x.dtype() + "[" + n + "] for x "
                        + x.describe(), loc);
            }
            normed = p == scale ? Ops.mul(normed, Ops.astype(p, normed.dtype())) : Ops.add(normed, Ops.astype(p, normed.dtype()));
        }
        return Ops.astype(normed, x.dtype());
    }

    /** {@code indices[..., None] == arange(n)} as {@code dtype}; out-of-range indices give all-zero rows. */
    public static Tensor oneHot(Tensor indices, long n, DType dtype) {
        Location loc = SourceLoc.here();
        if (!indices.dtype().isInteger()) throw new DslException("oneHot", "indices must be integers, got " + indices.describe(), loc);
        long[] d = new long[indices.rank() + 1];
        System.arraycopy(indices.dims(), 0, d, 0, indices.rank());
        d[indices.rank()] = n;
        Tensor classes = Ops.iota(indices.dtype(), Shape.of(d), indices.rank());
        Tensor hit = Ops.eq(Ops.expandDims(indices, -1), classes);
        return Ops.astype(hit, dtype);
    }

    // ---- jax.nn's other activations (compositions, so gradients come from the ops' rules) ----------------------

    /** {@code jax.nn.swish}, the same function as {@link #silu}. */
    public static Tensor swish(Tensor x) { return silu(x); }

    /** {@code jax.nn.log_sigmoid}: {@code -softplus(-x)}, finite for large |x|. */
    public static Tensor logSigmoid(Tensor x) {
        Ops.requireFloat("logSigmoid", x, SourceLoc.here());
        return Ops.neg(softplus(Ops.neg(x)));
    }

    /**
     * {@code jax.nn.relu6}: {@code min(max(x, 0), 6)}, NaN kept. Built from selects so that, as with JAX's custom JVP,
     * the gradient is 1 strictly inside (0, 6) and 0 at the kinks 0 and 6 (min/max would split it, giving 0.5).
     */
    public static Tensor relu6(Tensor x) {
        return Ops.where(Ops.ge(x, 6.0), Ops.scalar(6, x.dtype()), Ops.where(Ops.le(x, 0.0), Ops.scalar(0, x.dtype()), x));
    }

    /** {@code jax.nn.hard_sigmoid}: {@code relu6(x + 3) / 6}; gradient 0 at the kinks -3 and 3, as JAX's. */
    public static Tensor hardSigmoid(Tensor x) { return Ops.div(relu6(Ops.add(x, 3.0)), 6.0); }

    /** {@code jax.nn.hard_silu} (also {@code hard_swish}): {@code x * hard_sigmoid(x)}. */
    public static Tensor hardSilu(Tensor x) { return Ops.mul(x, hardSigmoid(x)); }

    public static Tensor hardSwish(Tensor x) { return hardSilu(x); }

    /** {@code jax.nn.hard_tanh}: x clipped to [-1, 1]. */
    public static Tensor hardTanh(Tensor x) { return Ops.where(Ops.gt(x, 1.0), Ops.scalar(1, x.dtype()), Ops.where(Ops.lt(x, -1.0), Ops.scalar(-1, x.dtype()), x)); }

    /** {@code jax.nn.leaky_relu}: x where x >= 0, {@code negativeSlope * x} elsewhere (JAX's default slope is 0.01). */
    public static Tensor leakyRelu(Tensor x, double negativeSlope) { return Ops.where(Ops.ge(x, 0.0), x, Ops.mul(x, negativeSlope)); }

    /** {@code jax.nn.elu}: x where x > 0, {@code alpha * expm1(x)} elsewhere (the expm1 reads 0 where x > 0, so no inf leaks). */
    public static Tensor elu(Tensor x, double alpha) {
        Ops.requireFloat("elu", x, SourceLoc.here());
        Tensor pos = Ops.gt(x, 0.0);
        return Ops.where(pos, x, Ops.mul(Ops.expm1(Ops.where(pos, Ops.scalar(0, x.dtype()), x)), alpha));
    }

    /** {@code jax.nn.celu}: {@code max(x, 0) + alpha * expm1(min(x, 0) / alpha)}. */
    public static Tensor celu(Tensor x, double alpha) {
        Ops.requireFloat("celu", x, SourceLoc.here());
        return Ops.add(Ops.maximum(x, 0.0), Ops.mul(Ops.expm1(Ops.div(Ops.minimum(x, 0.0), alpha)), alpha));
    }

    /** {@code jax.nn.selu}: {@code scale * elu(x, alpha)} with JAX's constants. */
    public static Tensor selu(Tensor x) {
        return Ops.mul(elu(x, 1.6732632423543772848170429916717), 1.0507009873554804934193349852946);
    }

    /** {@code jax.nn.mish}: {@code x * tanh(softplus(x))}. */
    public static Tensor mish(Tensor x) {
        Ops.requireFloat("mish", x, SourceLoc.here());
        return Ops.mul(x, Ops.tanh(softplus(x)));
    }

    /** {@code jax.nn.soft_sign}: {@code x / (|x| + 1)}. */
    public static Tensor softSign(Tensor x) { return Ops.div(x, Ops.add(Ops.abs(x), 1.0)); }

    /** {@code jax.nn.squareplus}: {@code (x + sqrt(x^2 + b)) / 2} (JAX's default b is 4). */
    public static Tensor squareplus(Tensor x, double b) {
        Ops.requireFloat("squareplus", x, SourceLoc.here());
        return Ops.div(Ops.add(x, Ops.sqrt(Ops.add(Ops.square(x), b))), 2.0);
    }

    /** {@code jax.nn.glu}: the axis split in halves a, b; {@code a * sigmoid(b)}. An odd size is refused. */
    public static Tensor glu(Tensor x, int axis) {
        Location loc = SourceLoc.here();
        int a = Ops.axis(x, axis, "glu", loc);
        if (x.dims()[a] % 2 != 0) throw new DslException("glu", "axis " + a + " of " + x.describe() + " has odd size " + x.dims()[a], loc);
        java.util.List<Tensor> halves = Rearrange.split(x, 2, a);
        return Ops.mul(halves.get(0), Ops.sigmoid(halves.get(1)));
    }

    /**
     * {@code jax.nn.one_hot(indices, n, dtype=dtype, axis=axis)}: the class axis inserted at {@code axis} of the result
     * (-1: last, as {@link #oneHot(Tensor, long, DType)}); out-of-range indices give all-zero vectors.
     */
    public static Tensor oneHot(Tensor indices, long n, DType dtype, int axis) {
        Location loc = SourceLoc.here();
        int r = indices.rank() + 1;
        if (axis < -r || axis >= r) throw new DslException("oneHot", "axis " + axis + " is out of range for a result of rank " + r
                + " from indices " + indices.describe(), loc);
        int a = axis < 0 ? axis + r : axis;
        Tensor last = oneHot(indices, n, dtype);
        return a == r - 1 ? last : Rearrange.moveaxis(last, r - 1, a);
    }

    // ---- softmax and friends with a where mask (jax.nn's `where=`) ----------------------------------------------

    /**
     * {@code jax.nn.softmax(x, axis, where=where)}: entries where {@code where} is false take no part and get 0; a row
     * with no entry gets all zeros. {@code where} is bool and broadcasts to x (numpy's rule); null is {@link Reductions#softmax}.
     */
    public static Tensor softmax(Tensor x, int axis, Tensor where) {
        Location loc = SourceLoc.here();
        if (where == null) return Reductions.softmax(x, axis);
        Ops.requireFloat("softmax", x, loc);
        int a = Ops.axis(x, axis, "softmax", loc);
        Tensor w = mask("softmax", where, x, loc);
        Tensor shift = safeMax(x, w, a);
        Tensor e = Ops.where(w, Ops.exp(Ops.sub(x, shift)), Ops.scalar(0, x.dtype()));
        Tensor denom = Reductions.keepDims(Reductions.sum(e, a), x, a);
        Tensor safeDenom = Ops.where(Ops.gt(denom, 0.0), denom, Ops.scalar(1, x.dtype()));
        return Ops.div(e, safeDenom);
    }

    /** {@code jax.nn.log_softmax(x, axis, where=where)}: -inf where {@code where} is false. */
    public static Tensor logSoftmax(Tensor x, int axis, Tensor where) {
        Location loc = SourceLoc.here();
        if (where == null) return Reductions.logSoftmax(x, axis);
        Ops.requireFloat("logSoftmax", x, loc);
        int a = Ops.axis(x, axis, "logSoftmax", loc);
        Tensor w = mask("logSoftmax", where, x, loc);
        Tensor lse = logsumexp(x, a, w, true);
        return Ops.where(w, Ops.sub(x, lse), Ops.scalar(Double.NEGATIVE_INFINITY, x.dtype()));
    }

    /**
     * {@code jax.nn.logsumexp(x, axis, where=where)} (the entries where {@code where} is false left out; -inf when none
     * is left); {@code where} null takes every entry.
     */
    public static Tensor logsumexp(Tensor x, int axis, Tensor where) {
        Location loc = SourceLoc.here();
        Ops.requireFloat("logsumexp", x, loc);
        int a = Ops.axis(x, axis, "logsumexp", loc);
        if (where == null) return Reductions.logsumexp(x, a);
        return logsumexp(x, a, mask("logsumexp", where, x, loc), false);
    }

    static Tensor logsumexp(Tensor x, int a, Tensor w, boolean keep) {
        Tensor shift = safeMax(x, w, a);
        Tensor e = Ops.where(w, Ops.exp(Ops.sub(x, shift)), Ops.scalar(0, x.dtype()));
        Tensor s = Reductions.keepDims(Reductions.sum(e, a), x, a);
        Tensor r = Ops.add(Ops.log(s), shift);
        return keep ? r : Ops.squeeze(r, a);
    }

    /** The max over the allowed entries, kept as size 1, replaced by 0 where it is not finite (no entry, or inf). */
    private static Tensor safeMax(Tensor x, Tensor w, int a) {
        Tensor m = Reductions.keepDims(Reductions.max(Ops.where(w, x, Ops.scalar(Double.NEGATIVE_INFINITY, x.dtype())), a), x, a);
        return Ops.where(Ops.isFinite(m), m, Ops.scalar(0, x.dtype()));
    }

    /** A bool {@code where} that broadcasts to x's shape (not wider), refused by name otherwise. */
    static Tensor mask(String op, Tensor where, Tensor x, Location loc) {
        if (!where.dtype().isBool()) throw new DslException(op, "where " + where.describe() + " must be bool, for " + x.describe(), loc);
        long[] both = Trace.guard(op, List.of(where, x), loc,
                () -> Ops.ruleOnTypes(op, "chlo.broadcast_and", List.of(where.type(), x.type().withElementType(where.type().elementType())), loc)).shape();
        if (!java.util.Arrays.equals(both, x.dims())) {
            throw new DslException(op, "where " + where.describe() + " must broadcast to " + x.describe() + ", but broadcasting gives "
                    + java.util.Arrays.toString(both), loc);
        }
        return where;
    }

    /**
     * {@code jax.nn.standardize(x, axis, epsilon=eps)}: {@code (x - mean) * rsqrt(var + eps)} over the axes, with JAX's
     * default "fast" variance {@code mean(x^2) - mean(x)^2}, not clamped (as in JAX): where rounding makes it fall
     * below {@code -eps} the result is NaN.
     */
    public static Tensor standardize(Tensor x, double eps, int... axes) {
        Location loc = SourceLoc.here();
        Ops.requireFloat("standardize", x, loc);
        int[] ax = axes.length == 0 ? new int[]{-1} : axes;
        Tensor mean = Reductions.mean(x, true, ax);
        Tensor var = Ops.sub(Reductions.mean(Ops.square(x), true, ax), Ops.square(mean));
        return Ops.mul(Ops.sub(x, mean), Ops.rsqrt(Ops.add(var, eps)));
    }
}
