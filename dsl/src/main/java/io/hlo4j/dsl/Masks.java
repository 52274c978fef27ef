package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Location;

/**
 * Boolean attention masks (true: may attend) for {@link Nn#dotProductAttention}, which takes masks broadcastable to
 * [batch, heads, q_seq, kv_seq]. Static masks are [q_seq, kv_seq]; per-example ones [batch, 1, 1, kv_seq].
 * Query i stands at position {@code qOffset + i} among the keys (0 for training; the cache length when decoding).
 */
public final class Masks {
    private Masks() {}

    /** Causal: query i sees keys {@code j <= i} (JAX's and flax's top-left alignment when the lengths differ). */
    public static Tensor causal(long qLen, long kvLen) { return causal(qLen, kvLen, 0); }

    /** Causal with the queries at positions {@code qOffset + i}: key j is visible when {@code j <= qOffset + i}. */
    public static Tensor causal(long qLen, long kvLen, long qOffset) { return window("causal", qLen, kvLen, qOffset, Long.MAX_VALUE, 0); }

    /**
     * Mistral's and Mixtral's sliding window ({@code sliding_window = window}): causal, and at most {@code window} keys
     * back including the query's own position: {@code q - window < j <= q}.
     */
    public static Tensor slidingWindow(long qLen, long kvLen, long window, long qOffset) {
        Location loc = SourceLoc.here();
        if (window <= 0) throw new DslException("slidingWindow", "window " + window + " must be positive", loc);
        return window("slidingWindow", qLen, kvLen, qOffset, window - 1, 0);
    }

    /**
     * JAX's {@code local_window_size=(left, right)} of {@code dot_product_attention}: key j is visible from query
     * position q when {@code q - left <= j <= q + right}. Combine with {@link #causal} for a causal window.
     */
    public static Tensor localWindow(long qLen, long kvLen, long left, long right, long qOffset) {
        Location loc = SourceLoc.here();
        if (left < 0 || right < 0) throw new DslException("localWindow", "window sizes (" + left + ", " + right + ") must be non-negative", loc);
        return window("localWindow", qLen, kvLen, qOffset, left, right);
    }

    private static Tensor window(String op, long qLen, long kvLen, long qOffset, long left, long right) {
        Location loc = SourceLoc.here();
        if (qLen < 0 || kvLen < 0 || qOffset < 0) {
            throw new DslException(op, "lengths and offset must be non-negative, got q_seq " + qLen + ", kv_seq " + kvLen + ", offset " + qOffset, loc);
        }
        Shape ts = Shape.of(qLen, kvLen);
        // rel = j - q, with q = qOffset + i
        Tensor rel = Ops.sub(Ops.iota(DType.I64, ts, 1), Ops.add(Ops.iota(DType.I64, ts, 0), (double) qOffset));
        Tensor keep = Ops.le(rel, (double) right);
        if (left != Long.MAX_VALUE) keep = Ops.logicalAnd(keep, Ops.ge(rel, (double) -left));
        return keep;
    }

    /**
     * From an HF-style {@code attention_mask} [batch, kv_seq] (1/true for real tokens, 0/false for padding): a
     * [batch, 1, 1, kv_seq] mask hiding the padded keys.
     */
    public static Tensor padding(Tensor attentionMask) {
        Location loc = SourceLoc.here();
        if (attentionMask.rank() != 2) throw new DslException("padding", "attention mask must be [batch, kv_seq], got " + attentionMask.describe(), loc);
        Tensor valid = attentionMask.dtype().isBool() ? attentionMask : Ops.ne(attentionMask, Ops.scalar(0, attentionMask.dtype()));
        return Ops.reshape(valid, attentionMask.dim(0), 1, 1, attentionMask.dim(1));
    }

    /** From key lengths [batch] (JAX's {@code key_value_seq_lengths}): a [batch, 1, 1, kvLen] mask of {@code j < length}. */
    public static Tensor keyLengths(Tensor lengths, long kvLen) {
        Location loc = SourceLoc.here();
        if (lengths.rank() != 1 || !lengths.dtype().isInteger()) {
            throw new DslException("keyLengths", "lengths must be integers [batch], got " + lengths.describe(), loc);
        }
        long b = lengths.dim(0);
        Tensor j = Ops.iota(lengths.dtype(), Shape.of(b, 1, 1, kvLen), 3);
        return Ops.lt(j, Ops.reshape(lengths, b, 1, 1, 1));
    }

    /** flax's {@code combine_masks}: the logical and of the masks given (nulls skipped; null when none), broadcasting. */
    public static Tensor and(Tensor... masks) {
        Location loc = SourceLoc.here();
        Tensor r = null;
        for (Tensor m : masks) {
            if (m == null) continue;
            if (!m.dtype().isBool()) throw new DslException("and", "masks must be bool, got " + m.describe(), loc);
            r = r == null ? m : Ops.logicalAnd(r, m);
        }
        return r;
    }
}
