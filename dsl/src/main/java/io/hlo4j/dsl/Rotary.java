package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Location;

import java.util.List;

/**
 * Rotary position embedding as Llama, Mistral/Mixtral, Qwen2(-MoE) and DeepSeek use it (Hugging Face's
 * {@code LlamaRotaryEmbedding} and {@code apply_rotary_pos_emb}): frequencies {@code 1 / theta^(2i/dim)}, angles
 * {@code position * freq} duplicated over both halves of the head dim, {@code x cos + rotate_half(x) sin}. The angles
 * and their cos/sin are computed in f32 (f64 for f64), as HF does with autocast off, then cast to the requested dtype.
 */
public final class Rotary {
    private Rotary() {}

    /** {@code 1 / theta^(2i / dim)} for {@code i < dim/2}; scaled variants (YaRN, Llama 3) adjust these on the host. */
    public static double[] inverseFrequencies(long dim, double theta) {
        Location loc = SourceLoc.here();
        if (dim <= 0 || dim % 2 != 0) throw new DslException("rotary", "head dim " + dim + " must be positive and even", loc);
        if (!(theta > 0)) throw new DslException("rotary", "theta " + theta + " must be positive", loc);
        double[] f = new double[(int) (dim / 2)];
        for (int i = 0; i < f.length; i++) f[i] = 1 / Math.pow(theta, 2.0 * i / dim);
        return f;
    }

    /** {@link #cosSin(Tensor, double[], double, DType)} with {@link #inverseFrequencies} and no attention scaling. */
    public static List<Tensor> cosSin(Tensor positions, long dim, double theta, DType dtype) {
        return cosSin(positions, inverseFrequencies(dim, theta), 1.0, dtype);
    }

    /**
     * cos and sin of shape {@code positions.shape + [2 * invFreq.length]}: {@code emb = concat(p f, p f)}, each times
     * {@code attentionScaling} (HF's {@code attention_scaling}, 1 unless a rope scaling sets it). Positions are
     * integers or floats, e.g. [batch, seq] or [seq].
     */
    public static List<Tensor> cosSin(Tensor positions, double[] invFreq, double attentionScaling, DType dtype) {
        Location loc = SourceLoc.here();
        if (!dtype.isFloat()) throw new DslException("rotary", "cos/sin dtype must be a float, got " + dtype, loc);
        if (positions.dtype().isBool()) throw new DslException("rotary", "positions must be numbers, got " + positions.describe(), loc);
        DType comp = dtype == DType.F64 ? DType.F64 : DType.F32;
        Tensor f = Ops.constant(invFreq, Shape.of(invFreq.length), comp);
        Tensor freqs = Ops.mul(Ops.expandDims(Ops.astype(positions, comp), -1), f);
        Tensor emb = Ops.concat(-1, freqs, freqs);
        Tensor cos = Ops.cos(emb), sin = Ops.sin(emb);
        if (attentionScaling != 1.0) { cos = Ops.mul(cos, attentionScaling); sin = Ops.mul(sin, attentionScaling); }
        return List.of(Ops.astype(cos, dtype), Ops.astype(sin, dtype));
    }

    /** HF's {@code rotate_half}: {@code concat(-x2, x1)} of the last axis' halves. */
    public static Tensor rotateHalf(Tensor x) {
        Location loc = SourceLoc.here();
        if (x.rank() == 0 || x.dim(-1) % 2 != 0) throw new DslException("rotateHalf", "last axis must have even size, got " + x.describe(), loc);
        List<Tensor> h = Rearrange.split(x, 2, -1);
        return Ops.concat(-1, Ops.neg(h.get(1)), h.get(0));
    }

    /**
     * {@code x * cos + rotate_half(x) * sin} with cos and sin given axis {@code unsqueezeDim} of size 1 first (HF's
     * {@code unsqueeze_dim}: 1 for [batch, heads, seq, dim], 2 for JAX's [batch, seq, heads, dim]). cos/sin must then
     * broadcast to x and share its dtype.
     */
    public static Tensor apply(Tensor x, Tensor cos, Tensor sin, int unsqueezeDim) {
        Location loc = SourceLoc.here();
        Ops.requireFloat("rotary", x, loc);
        Tensor c = Ops.expandDims(cos, unsqueezeDim), s = Ops.expandDims(sin, unsqueezeDim);
        if (c.dtype() != x.dtype() || s.dtype() != x.dtype() || c.dim(-1) != x.dim(-1)) {
            throw new DslException("rotary", "cos " + cos.describe() + " and sin " + sin.describe() + " must match x " + x.describe()
                    + " in dtype and last axis", loc);
        }
        return Ops.add(Ops.mul(x, c), Ops.mul(rotateHalf(x), s));
    }

    /** HF's {@code apply_rotary_pos_emb(q, k, cos, sin, unsqueeze_dim)}: {@link #apply} on both. */
    public static List<Tensor> applyRotaryPosEmb(Tensor q, Tensor k, Tensor cos, Tensor sin, int unsqueezeDim) {
        return List.of(apply(q, cos, sin, unsqueezeDim), apply(k, cos, sin, unsqueezeDim));
    }

    /**
     * The last axis' interleaved pairs (x0, x1), (x2, x3), ... regrouped as [x0, x2, ..., x1, x3, ...]: DeepSeek-V3's
     * {@code apply_rotary_pos_emb_interleave} applies this to q and k before {@link #apply}.
     */
    public static Tensor deinterleave(Tensor x) {
        Location loc = SourceLoc.here();
        if (x.rank() == 0 || x.dim(-1) % 2 != 0) throw new DslException("deinterleave", "last axis must have even size, got " + x.describe(), loc);
        long[] d = x.dims();
        long[] pairs = new long[d.length + 1];
        System.arraycopy(d, 0, pairs, 0, d.length - 1);
        pairs[d.length - 1] = d[d.length - 1] / 2;
        pairs[d.length] = 2;
        return Ops.reshape(Rearrange.swapaxes(Ops.reshape(x, pairs), -1, -2), d);
    }
}
