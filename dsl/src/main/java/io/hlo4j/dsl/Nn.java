package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Location;

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
}
