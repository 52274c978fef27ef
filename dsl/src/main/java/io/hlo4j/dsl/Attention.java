package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.Arrays;
import java.util.List;

/**
 * Scaled dot-product attention in JAX's layout ({@code jax.nn.dot_product_attention}): query [B, T, N, H], key and
 * value [B, S, K, H] with N a multiple of K (grouped-query attention: query head n reads key/value head n / (N/K)).
 * Logits and softmax run in f32 for bf16/f16 inputs (f64 stays f64); masked logits become the dtype's lowest finite
 * value, so a fully masked row gets uniform weights rather than NaN, as JAX does.
 */
final class Attention {
    private Attention() {}

    static Tensor apply(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale, Location loc) {
        String op = "dotProductAttention";
        for (Tensor t : new Tensor[]{q, k, v}) {
            Ops.requireFloat(op, t, loc);
            if (t.rank() != 4) throw new DslException(op, "query, key and value must be [batch, seq, heads, head_dim], got " + all(q, k, v), loc);
        }
        if (q.dtype() != k.dtype() || k.dtype() != v.dtype()) throw new DslException(op, "query, key and value differ in dtype: " + all(q, k, v), loc);
        long b = q.dim(0), t = q.dim(1), n = q.dim(2), h = q.dim(3), s = k.dim(1), kh = k.dim(2);
        if (!Arrays.equals(k.dims(), v.dims())) throw new DslException(op, "key and value must have the same shape, got " + all(q, k, v), loc);
        if (k.dim(0) != b || k.dim(3) != h) {
            throw new DslException(op, "key must share the query's batch and head_dim, got " + all(q, k, v), loc);
        }
        if (n % kh != 0) throw new DslException(op, "query heads " + n + " are not a multiple of key/value heads " + kh + ": " + all(q, k, v), loc);
        if (!(scale > 0) || Double.isInfinite(scale)) throw new DslException(op, "scale must be positive and finite, got " + scale, loc);
        if (kh != n) {
            // Repeat each key/value head N/K times: [B,S,K,H] -> [B,S,K,G,H] -> [B,S,N,H].
            long g = n / kh;
            k = Ops.reshape(Ops.broadcastTo(Ops.reshape(k, b, s, kh, 1, h), b, s, kh, g, h), b, s, n, h);
            v = Ops.reshape(Ops.broadcastTo(Ops.reshape(v, b, s, kh, 1, h), b, s, kh, g, h), b, s, n, h);
        }
        DType in = q.dtype();
        DType acc = in == DType.BF16 || in == DType.F16 ? DType.F32 : in;
        Tensor logits = Ops.mul(Linalg.einsum("btnh,bsnh->bnts", acc == in ? null : acc, q, k), scale);
        Tensor keep = null;
        if (mask != null) keep = Ops.broadcastTo(checkMask(op, mask, b, n, t, s, loc), b, n, t, s);
        if (causal) {
            Shape ts = Shape.of(t, s);
            Tensor lower = Ops.broadcastTo(Ops.ge(Ops.iota(DType.I32, ts, 0), Ops.iota(DType.I32, ts, 1)), b, n, t, s);
            keep = keep == null ? lower : Ops.logicalAnd(keep, lower);
        }
        if (keep != null) logits = Ops.where(keep, logits, acc == DType.F64 ? -Double.MAX_VALUE : -Float.MAX_VALUE);
        Tensor probs = Reductions.softmax(logits, 3);
        Tensor out = Linalg.einsum("bnts,bsnh->btnh", acc == in ? null : acc, Ops.astype(probs, in), v);
        return Ops.astype(out, in);
    }

    /**
     * A bool mask that broadcasts to [B, N, T, S]: refused first when not bool (in the user's words: chlo's rule would
     * speak of an i1 operand the user never wrote), then chlo.broadcast_and's type rule against a bool [B, N, T, S]
     * (the broadcasting rule the element-wise ops use), whose result must be that shape (a mask may not widen it).
     */
    private static Tensor checkMask(String op, Tensor mask, long b, long n, long t, long s, Location loc) {
        TensorType target = TensorType.of(IntegerType.I1, b, n, t, s);
        if (!mask.dtype().isBool()) {
            throw new DslException(op, "mask " + mask.describe() + " must be bool (i1) and broadcast to [batch, heads, q_seq, kv_seq] = "
                    + Arrays.toString(target.shape()) + " (compare, or astype(DType.BOOL))", loc);
        }
        TensorType r = Trace.guard(op, List.of(mask), loc, () -> Ops.ruleOnTypes(op, "chlo.broadcast_and", List.of(mask.type(), target), loc));
        if (!r.equals(target)) {
            throw new DslException(op, "mask " + mask.describe() + " must broadcast to [batch, heads, q_seq, kv_seq] = "
                    + Arrays.toString(target.shape()) + ", but broadcasting gives " + Arrays.toString(r.shape()), loc);
        }
        return mask;
    }

    private static String all(Tensor q, Tensor k, Tensor v) { return "query " + q.describe() + ", key " + k.describe() + ", value " + v.describe(); }
}
