package io.hlo4j.dsltest.shardjourney;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.runtime.array.HostArray;

import io.hlo4j.runtime.testing.GaussianArrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The block a JAX user ports first: pre-norm causal self-attention and a SiLU MLP, each with a residual, written with
 * only what docs/dsl.md lists ({@code Nn.rmsNorm}, {@code Nn.dotProductAttention}, {@code Linalg.einsum}). Parameters
 * are a map (a pytree, flattened by key), x is [B, S, D]. The function returns a pytree: {@code {"out": y, "loss":
 * mean(y^2)}}.
 */
final class TransformerBlock {
    private TransformerBlock() {}

    static final int B = 4, S = 8, D = 16, HEADS = 4, HD = 4, F = 32;
    static final double EPS = 1e-6;

    static Map<String, Spec> paramSpecs(DType t) {
        Map<String, Spec> m = new TreeMap<>();
        for (String w : List.of("wq", "wk", "wv")) m.put(w, Spec.of(t, D, HEADS * HD));
        m.put("wo", Spec.of(t, HEADS * HD, D));
        m.put("norm1", Spec.of(t, D));
        m.put("norm2", Spec.of(t, D));
        m.put("w1", Spec.of(t, D, F));
        m.put("w2", Spec.of(t, F, D));
        return m;
    }

    static Spec xSpec(DType t) { return Spec.of(t, B, S, D); }

    /** Seeded parameters, scaled like a Glorot init so that activations stay O(1); norms around 1. */
    static Map<String, HostArray> params(long seed, DType t) {
        Random r = new Random(seed);
        Map<String, HostArray> out = new TreeMap<>();
        paramSpecs(t).forEach((name, spec) -> {
            long[] s = spec.shape().dims();
            double[] v = new double[(int) spec.tensorType().numElements()];
            double scale = s.length == 2 ? Math.sqrt(2.0 / (s[0] + s[1])) : 0.2;
            for (int i = 0; i < v.length; i++) v[i] = (s.length == 1 ? 1 : 0) + scale * r.nextGaussian();
            out.put(name, HostArray.fromDoubles(spec.tensorType(), v));
        });
        return out;
    }

    static HostArray input(long seed, DType t) { return GaussianArrays.of(xSpec(t).tensorType(), seed); }

    @SuppressWarnings("unchecked")
    static Tensor apply(Map<String, Tensor> p, Tensor x) {
        Tensor h = Nn.rmsNorm(x, p.get("norm1"), EPS);
        Tensor q = Linalg.einsum("bsd,de->bse", h, p.get("wq")).reshape(B, S, HEADS, HD);
        Tensor k = Linalg.einsum("bsd,de->bse", h, p.get("wk")).reshape(B, S, HEADS, HD);
        Tensor v = Linalg.einsum("bsd,de->bse", h, p.get("wv")).reshape(B, S, HEADS, HD);
        Tensor a = Nn.dotProductAttention(q, k, v, null, true).reshape(B, S, HEADS * HD);
        Tensor x1 = x.add(Linalg.einsum("bse,ed->bsd", a, p.get("wo")));
        Tensor h2 = Nn.rmsNorm(x1, p.get("norm2"), EPS);
        Tensor m = Linalg.einsum("bsf,fd->bsd", Nn.silu(Linalg.einsum("bsd,df->bsf", h2, p.get("w1"))), p.get("w2"));
        return x1.add(m);
    }

    /** (params, x) -> {"loss": mean(y^2), "out": y}: a pytree result. */
    @SuppressWarnings("unchecked")
    static final TracedFunction FORWARD = a -> {
        Tensor y = apply((Map<String, Tensor>) a[0], (Tensor) a[1]);
        return Map.of("out", y, "loss", y.square().mean());
    };

    /** (params, x) -> mean(y^2), for grad. */
    @SuppressWarnings("unchecked")
    static final TracedFunction LOSS = a -> apply((Map<String, Tensor>) a[0], (Tensor) a[1]).square().mean();

    /** The mesh of the journey: 2 x 4, ("data", "model"). */
    static Mesh mesh() { return Mesh.of(8, List.of("data", "model"), 2, 4); }

    /**
     * FSDP-style weights (the input dim of every projection over "data", JAX's usual FSDP axis, and Megatron's
     * column/row split over "model"), norms over "data"; the batch over "data".
     */
    static Map<String, NamedSharding> weightShardings(Mesh m) {
        Map<String, NamedSharding> s = new TreeMap<>();
        for (String w : List.of("wq", "wk", "wv", "w1")) s.put(w, NamedSharding.of(m, "data", "model"));
        s.put("wo", NamedSharding.of(m, "model", "data"));
        s.put("w2", NamedSharding.of(m, "model", "data"));
        s.put("norm1", NamedSharding.of(m, "data"));
        s.put("norm2", NamedSharding.of(m, "data"));
        return s;
    }

    static NamedSharding batchSharding(Mesh m) { return NamedSharding.of(m, "data", null, null); }
}
