package io.hlo4j.dsltest.userjourney;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.runtime.array.HostArray;

import io.hlo4j.runtime.testing.GaussianArrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The block a user writes after docs/moe.md: pre-norm single-head self-attention, then a pre-norm MoE FFN, each with a
 * residual. The MoE routes by EXPERT_CHOICE (not the default TOP_K), computes the switch-transformer load-balancing
 * loss and the router z-loss (both in the objective), scales the router logits by 1/T in an after_gate hook, and
 * returns its metrics. Shapes: x [B, S, H]; E experts of intermediate size M, k = 2.
 */
final class TinyMoeBlock {
    static final int B = 2, S = 4, H = 8, E = 4, K = 2, M = 16;
    static final double TEMPERATURE = 2.0, LBL = 0.01, RZL = 0.001, EPS = 1e-6;
    static final MoeConfig CONFIG = MoeConfig.of(E, K, H, M)
            .withRoutingStrategy(MoeRoutingStrategy.EXPERT_CHOICE)
            .withLoadBalancing(MoeLoadBalancingStrategy.SWITCH_TRANSFORMER, LBL)
            .withRouterZLoss(RZL);
    /** Result names of {@link #block()}, in order. */
    static final List<String> RESULTS = List.of("output", "objective", "load_balancing_loss", "router_z_loss", "router_logits",
            "expert_loads", "routing_entropy");

    private TinyMoeBlock() {}

    /** (params, x [B, S, H]) -> the {@link #RESULTS}. */
    static TracedFunction block() {
        return a -> {
            @SuppressWarnings("unchecked") Map<String, Tensor> p = (Map<String, Tensor>) a[0];
            Tensor x = (Tensor) a[1];
            Tensor n1 = Nn.rmsNorm(x, p.get("norm1"), EPS);
            Tensor q = Linalg.einsum("bsh,hd->bsd", n1, p.get("wq"));
            Tensor k = Linalg.einsum("bsh,hd->bsd", n1, p.get("wk"));
            Tensor v = Linalg.einsum("bsh,hd->bsd", n1, p.get("wv"));
            Tensor att = Reductions.softmax(Linalg.einsum("bsd,btd->bst", q, k).mul(1 / Math.sqrt(H)), 2);
            Tensor x1 = x.add(Linalg.einsum("bsd,dh->bsh", Linalg.einsum("bst,btd->bsd", att, v), p.get("wo")));

            MoeFusedHooks<Tensor> hooks = MoeFusedHooks.<Tensor>none().withAfterGate(logits -> logits.mul(1 / TEMPERATURE));
            MoeOutput moe = new BaseMoeModule(CONFIG, hooks).moeCall(Nn.rmsNorm(x1, p.get("norm2"), EPS),
                    BaseMoeModule.linearGate(p.get("gate")), ExpertWeights.of(p.get("wi"), p.get("wu"), p.get("wd")), true);
            MoeMetrics<Tensor> m = moe.metrics().orElseThrow();
            Tensor out = x1.add(moe.output());
            Tensor lbl = m.loadBalancingLoss().orElseThrow(), rzl = m.routerZLoss().orElseThrow();
            Tensor objective = Ops.square(out).mean().add(lbl).add(rzl);
            return List.of(out, objective, lbl, rzl, moe.routerLogits(), m.expertLoads(), m.routingEntropy());
        };
    }

    /** The parameters' specs, by name (the order jit flattens a map in: key order). */
    static Map<String, Spec> paramSpecs() {
        Map<String, Spec> s = new TreeMap<>();
        for (String n : List.of("wq", "wk", "wv", "wo")) s.put(n, Spec.of(DType.F32, H, H));
        s.put("norm1", Spec.of(DType.F32, H));
        s.put("norm2", Spec.of(DType.F32, H));
        s.put("gate", Spec.of(DType.F32, H, E));
        s.put("wi", Spec.of(DType.F32, E, H, M));
        s.put("wu", Spec.of(DType.F32, E, H, M));
        s.put("wd", Spec.of(DType.F32, E, M, H));
        return s;
    }

    /** Seeded parameters: norms near 1, matrices scaled by 1/sqrt(fan-in). */
    static Map<String, HostArray> params(long seed) {
        Random r = new Random(seed);
        Map<String, HostArray> out = new TreeMap<>();
        paramSpecs().forEach((name, spec) -> {
            long[] d = spec.shape().dims();
            double[] v = new double[Math.toIntExact(spec.shape().size())];
            boolean norm = name.startsWith("norm");
            double scale = norm ? 0.1 : 1 / Math.sqrt(d[d.length - 2]);
            for (int i = 0; i < v.length; i++) v[i] = (norm ? 1 : 0) + scale * r.nextGaussian();
            out.put(name, HostArray.fromDoubles(spec.tensorType(), v));
        });
        return out;
    }

    static HostArray input(long seed) { return GaussianArrays.of(Spec.of(DType.F32, B, S, H).tensorType(), seed); }

    /** The flat argument list a compiled module takes: the map's leaves in key order, then x. */
    static List<HostArray> flatArgs(Map<String, HostArray> params, HostArray x) {
        Map<String, HostArray> sorted = new LinkedHashMap<>(new TreeMap<>(params));
        List<HostArray> flat = new java.util.ArrayList<>(sorted.values());
        flat.add(x);
        return flat;
    }
}
