package com.example;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.MoeSpecs;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.moe.models.SharedExpertMlp;
import io.hlo4j.dsl.nn.Init;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.Optimizer;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.examples.Example;
import io.hlo4j.runtime.array.HostArray;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A user's DeepSeek-V2 / Qwen2-MoE-style block, written on the layer: E = 4 routed experts (top-2, the chosen
 * scores renormalised), one always-on shared expert beside them, the router's scores a softmax or a sigmoid, a
 * fixed router-logit bias added by an after_gate hook, and both auxiliary losses (load balancing, router z-loss)
 * in the objective. It fits a fixed teacher, y = tanh(x T), with AdamW.
 */
public final class SharedExpertMoe implements Example {
    public static final int B = 4, S = 6, H = 8, E = 4, K = 2, M = 12, SHARED_M = 16;
    public static final double LBL_COEF = 0.01, RZL_COEF = 0.001;

    private final MoEMethods method;
    private final boolean sigmoid;
    private final EpMode expertParallel;

    public SharedExpertMoe() { this(MoEMethods.FUSED_MOE, false); }

    /** The routed experts computed by {@code method}; router scores a sigmoid instead of the softmax when {@code sigmoid}. */
    public SharedExpertMoe(MoEMethods method, boolean sigmoid) { this(method, sigmoid, null); }

    /** As above; on a mesh ({@link #loss(Mesh)}) the routed experts expert parallel in {@code expertParallel} mode, unless null. */
    public SharedExpertMoe(MoEMethods method, boolean sigmoid, EpMode expertParallel) {
        this.method = method;
        this.sigmoid = sigmoid;
        this.expertParallel = expertParallel;
    }

    @Override public String name() { return "shared-expert-moe"; }

    @Override public String description() { return "a DeepSeek-V2-style MoE block: top-2 of 4 experts + a shared expert, both aux losses"; }

    public MoeConfig config() {
        return MoeConfig.of(E, K, H, M).withMoeMethod(method)
                .withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, LBL_COEF).withRouterZLoss(RZL_COEF);
    }

    @Override public Object params() {
        Map<String, HostArray> p = new LinkedHashMap<>();
        p.put("gate", Init.normal(0.5).create(0, "gate", Shape.of(H, E), DType.F32));
        p.put("wi", Init.normal(0.3).create(0, "wi", Shape.of(E, H, M), DType.F32));
        p.put("wu", Init.normal(0.3).create(0, "wu", Shape.of(E, H, M), DType.F32));
        p.put("wd", Init.normal(0.3).create(0, "wd", Shape.of(E, M, H), DType.F32));
        p.put("shared_wi", Init.normal(0.3).create(0, "shared_wi", Shape.of(H, SHARED_M), DType.F32));
        p.put("shared_wu", Init.normal(0.3).create(0, "shared_wu", Shape.of(H, SHARED_M), DType.F32));
        p.put("shared_wd", Init.normal(0.3).create(0, "shared_wd", Shape.of(SHARED_M, H), DType.F32));
        return p;
    }

    /** {@code [x, y]}: x [B, S, H] seeded normal, y = tanh(x T) for a seeded teacher T [H, H]. */
    @Override public List<Object> batch() {
        HostArray x = Init.normal(1.0).create(1, "x", Shape.of(B, S, H), DType.F32);
        double[] t = Init.normal(0.5).create(2, "teacher", Shape.of(H, H), DType.F32).toDoubleArray(), xv = x.toDoubleArray();
        double[] y = new double[xv.length];   // row n: sum over i of x[n, i] T[i, :], i outer so that T is read by rows
        for (int n = 0; n < B * S; n++) {
            for (int i = 0; i < H; i++) {
                double xi = xv[n * H + i];
                for (int j = 0; j < H; j++) y[n * H + j] += xi * t[i * H + j];
            }
            for (int j = 0; j < H; j++) y[n * H + j] = Math.tanh(y[n * H + j]);
        }
        return List.of(x, HostArray.fromDoubles(x.type(), y));
    }

    /** The block: [B, S, H] -> the routed experts' output + the shared expert's, with the layer's metrics. */
    public MoeOutput forward(Map<String, Tensor> p, Tensor x) {
        MoeOutput routed = new BaseMoeModule(config(), hooks()).moeCall(x, BaseMoeModule.linearGate(p.get("gate")),
                ExpertWeights.of(p.get("wi"), p.get("wu"), p.get("wd")), true);
        return new MoeOutput(routed.output().add(shared(p, x)), routed.routerLogits(), routed.metrics());
    }

    /**
     * The same block with the routed experts expert parallel on {@code mesh}'s expert view, inside a
     * {@code ShardedJit} trace on {@code mesh}: the partitioner reshards the tokens and the expert weights to the
     * expert layout and back; the losses come from the same logits.
     */
    public MoeOutput forwardExpertParallel(Map<String, Tensor> p, Tensor x, Mesh mesh, EpMode mode) {
        ExpertParallelMoe ep = new ExpertParallelMoe(config(), ExpertMeshView.of(mesh), mode).withHooks(hooks());
        ExpertParallelMoe.Applied o = ep.apply(x, p.get("gate"), ExpertWeights.of(p.get("wi"), p.get("wu"), p.get("wd")));
        return new MoeOutput(o.output().add(shared(p, x)), o.routerLogits(), Optional.of(ep.metrics(o)));
    }

    /**
     * The router bias, a fixed buffer rather than a parameter (not trained by gradient): a constant in the trace. It is
     * added to the logits, so it shifts the selection, the weights and the z-loss alike (DeepSeek-V3's score correction
     * bias shifts the selection only). A learned bias, a tensor of the caller's trace, would do in the expert-parallel
     * layer's hooks too: its per-device body closes over it, replicated, and its gradient flows back.
     */
    public static final double[] ROUTER_BIAS = {0.4, -0.3, 0.1, -0.2};

    /** The router bias (after_gate: logits + b) and, when asked, sigmoid scores instead of the softmax. */
    private MoeFusedHooks<Tensor> hooks() {
        MoeFusedHooks<Tensor> hooks = MoeFusedHooks.<Tensor>none()
                .withAfterGate(logits -> logits.add(Ops.constant(ROUTER_BIAS, Shape.of(E), logits.dtype())));
        return sigmoid ? hooks.withNormalizeGateLogits(logits -> Ops.sigmoid(logits.astype(DType.F32))) : hooks;
    }

    /** The always-on shared expert: down(silu(x wi) * (x wu)). */
    private Tensor shared(Map<String, Tensor> p, Tensor x) {
        return new SharedExpertMlp(p.get("shared_wi"), p.get("shared_wu"), p.get("shared_wd"))
                .apply(x.reshape((long) B * S, H), BaseMoeModule.activation(config(), null, null)).reshape(B, S, H);
    }

    /** mean((block(x) - y)^2) + the load-balancing loss + the router z-loss (each with its coefficient). */
    @SuppressWarnings("unchecked")
    @Override public TracedFunction loss() {
        return a -> objective(forward((Map<String, Tensor>) a[0], (Tensor) a[1]), (Tensor) a[2]);
    }

    /** On a mesh (examples run --mesh, dump --mesh): the same objective, the routed experts expert parallel when asked. */
    @SuppressWarnings("unchecked")
    @Override public TracedFunction loss(Mesh mesh) {
        if (expertParallel == null) return loss();
        return a -> objective(forwardExpertParallel((Map<String, Tensor>) a[0], (Tensor) a[1], mesh, expertParallel), (Tensor) a[2]);
    }

    private static Tensor objective(MoeOutput o, Tensor y) {
        MoeMetrics<Tensor> m = o.metrics().orElseThrow();
        return o.output().sub(y).square().mean().add(m.loadBalancingLoss().orElseThrow()).add(m.routerZLoss().orElseThrow());
    }

    @Override public Optimizer optimizer() { return AdamW.of(0.02); }

    @Override public int defaultSteps() { return 5; }

    /** Experts over ep, their intermediate dim over tp (MoeSpecs' table), the shared expert's over tp; the gate replicated. */
    @Override public Object paramShardings(Mesh mesh) {
        NamedSharding column = new NamedSharding(mesh, MoeSpecs.getMoeSpec(MoeSpecs.Direction.COLUMN, false, false));
        NamedSharding row = new NamedSharding(mesh, MoeSpecs.getMoeSpec(MoeSpecs.Direction.ROW, false, false));
        Map<String, NamedSharding> s = new LinkedHashMap<>();
        s.put("gate", null);
        s.put("wi", column);
        s.put("wu", column);
        s.put("wd", row);
        s.put("shared_wi", NamedSharding.of(mesh, null, "tp"));
        s.put("shared_wu", NamedSharding.of(mesh, null, "tp"));
        s.put("shared_wd", NamedSharding.of(mesh, "tp", null));
        return s;
    }
}
