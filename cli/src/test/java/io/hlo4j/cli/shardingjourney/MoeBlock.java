package io.hlo4j.cli.shardingjourney;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.runtime.array.HostArray;

import io.hlo4j.runtime.testing.GaussianArrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The block a MaxText user writes first: RMSNorm, causal self-attention ({@code Nn.dotProductAttention}), residual,
 * RMSNorm, the DSL's MoE layer ({@code BaseMoeModule}, FUSED, top-2 of 4 SwiGLU experts), residual; the loss is
 * mean(y^2). Parameters are a map (a pytree flattened by key), x is [B, S, D]. The shardings follow MaxText's logical
 * rules on the 5D mesh (dp, fsdp, ep, tp, sp): batch over (dp, fsdp), length over sp, embed over fsdp, heads and mlp
 * over tp, experts over ep; norms replicated.
 */
final class MoeBlock {
    private MoeBlock() {}

    static final int B = 4, S = 8, D = 16, HEADS = 4, HD = 4, E = 4, K = 2, M = 16;
    static final double EPS = 1e-6;
    static final MoeConfig CFG = MoeConfig.of(E, K, D, M);

    static Map<String, Spec> paramSpecs() {
        Map<String, Spec> m = new TreeMap<>();
        for (String w : new String[] {"wq", "wk", "wv"}) m.put(w, Spec.of(DType.F32, D, HEADS * HD));
        m.put("wo", Spec.of(DType.F32, HEADS * HD, D));
        m.put("norm1", Spec.of(DType.F32, D));
        m.put("norm2", Spec.of(DType.F32, D));
        m.put("gate", Spec.of(DType.F32, D, E));
        m.put("wi", Spec.of(DType.F32, E, D, M));
        m.put("wu", Spec.of(DType.F32, E, D, M));
        m.put("wd", Spec.of(DType.F32, E, M, D));
        return m;
    }

    /** Seeded parameters (Glorot-like scale on the two last dims, norms around 1). */
    static Map<String, HostArray> params(long seed) {
        Random r = new Random(seed);
        Map<String, HostArray> out = new TreeMap<>();
        paramSpecs().forEach((name, spec) -> {
            long[] s = spec.shape().dims();
            double[] v = new double[(int) spec.tensorType().numElements()];
            double scale = s.length >= 2 ? Math.sqrt(2.0 / (s[s.length - 2] + s[s.length - 1])) : 0.2;
            for (int i = 0; i < v.length; i++) v[i] = (s.length == 1 ? 1 : 0) + scale * r.nextGaussian();
            out.put(name, HostArray.fromDoubles(spec.tensorType(), v));
        });
        return out;
    }

    static HostArray input(long seed) { return GaussianArrays.of(Spec.of(DType.F32, B, S, D).tensorType(), seed); }

    static Tensor apply(Map<String, Tensor> p, Tensor x) {
        Tensor h = Nn.rmsNorm(x, p.get("norm1"), EPS);
        Tensor q = Linalg.einsum("bsd,de->bse", h, p.get("wq")).reshape(B, S, HEADS, HD);
        Tensor k = Linalg.einsum("bsd,de->bse", h, p.get("wk")).reshape(B, S, HEADS, HD);
        Tensor v = Linalg.einsum("bsd,de->bse", h, p.get("wv")).reshape(B, S, HEADS, HD);
        Tensor a = Nn.dotProductAttention(q, k, v, null, true).reshape(B, S, HEADS * HD);
        Tensor x1 = x.add(Linalg.einsum("bse,ed->bsd", a, p.get("wo")));
        Tensor h2 = Nn.rmsNorm(x1, p.get("norm2"), EPS);
        Tensor moe = new BaseMoeModule(CFG, MoeFusedHooks.none()).moeCall(h2, BaseMoeModule.linearGate(p.get("gate")),
                ExpertWeights.of(p.get("wi"), p.get("wu"), p.get("wd")), false).output();
        return x1.add(moe);
    }

    /** (params, x) -> mean(y^2). */
    @SuppressWarnings("unchecked")
    static final TracedFunction LOSS = a -> apply((Map<String, Tensor>) a[0], (Tensor) a[1]).square().mean();

    static Mesh mesh(int dp, int fsdp, int ep, int tp, int sp) { return ExpertMeshView.modelMesh(dp, fsdp, ep, tp, sp); }

    /** MaxText's logical rules: embed -> fsdp, heads/mlp -> tp, exp -> ep; norms replicated. */
    static Map<String, NamedSharding> paramShardings(Mesh m) {
        Map<String, NamedSharding> s = new TreeMap<>();
        for (String w : new String[] {"wq", "wk", "wv"}) s.put(w, NamedSharding.of(m, "fsdp", "tp"));
        s.put("wo", NamedSharding.of(m, "tp", "fsdp"));
        s.put("norm1", NamedSharding.of(m));
        s.put("norm2", NamedSharding.of(m));
        s.put("gate", NamedSharding.of(m, "fsdp", null));
        s.put("wi", NamedSharding.of(m, "ep", "fsdp", "tp"));
        s.put("wu", NamedSharding.of(m, "ep", "fsdp", "tp"));
        s.put("wd", NamedSharding.of(m, "ep", "tp", "fsdp"));
        return s;
    }

    /** Activations: batch over (dp, fsdp), length over sp. */
    static NamedSharding batchSharding(Mesh m) { return NamedSharding.of(m, new String[] {"dp", "fsdp"}, "sp", null); }
}
