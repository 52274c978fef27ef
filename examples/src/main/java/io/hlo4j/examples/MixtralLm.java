package io.hlo4j.examples;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Losses;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Rotary;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.nn.Init;
import io.hlo4j.dsl.nn.StateDicts;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A one-block Mixtral-style language model, as a JAX/EasyDeL user writes it: token embedding, RMSNorm, causal
 * self-attention with rotary embeddings, a residual, RMSNorm, the DSL's MoE layer (top-2 of 4 SwiGLU experts, the
 * standard load-balancing loss), a residual, a final RMSNorm and an untied LM head. The objective is the mean
 * next-token cross-entropy plus the load-balancing loss, trained with AdamW on a fixed synthetic batch where token
 * {@code t[i+1] = (t[i] + t[i-1]) mod VOCAB}. The LM head starts at zero, so the first cross-entropy is exactly
 * {@code log(VOCAB)}. {@link #run} trains on one device (the interpreter), then again on the 8 simulated devices of
 * the 5D mesh {@code dp=1, fsdp=2, ep=2, tp=2, sp=1} with {@link ShardedJit#callSimulated}, and compares the losses.
 */
public final class MixtralLm implements BundledModel {
    public static final int VOCAB = 16, B = 4, S = 8, D = 16, HEADS = 4, HD = 4, E = 4, K = 2, M = 16;
    public static final double EPS = 1e-6, THETA = 10_000, AUX_COEF = 0.01, LR = 0.02;
    /** The mesh {@link #run} trains on: the demo's, 4 experts over fsdp x ep and the FFN over tp. */
    public static final int[] MESH = {1, 2, 2, 2, 1};

    @Override public String name() { return "mixtral-lm"; }

    @Override public String description() {
        return "Mixtral-style decoder block (RoPE attention, top-2 MoE, aux loss) trained with AdamW, 1 and 8 devices";
    }

    @Override public int defaultSteps() { return 5; }

    /** The seed-0 f32 parameters by name. */
    @Override public Object params() { return initParams(0, DType.F32); }

    /** {@code [tokens, targets]}: {@link #batch(long)}(1). */
    @Override public List<Object> batch() { return List.of((Object[]) batch(1)); }

    @Override public TracedFunction loss() { return LOSS; }

    @Override public AdamW optimizer() { return AdamW.of(LR); }


    @Override public List<NamedSharding> batchShardings(Mesh m) { return List.of(batchSharding(m), batchSharding(m)); }

    /** The MoE layer's config: E experts, top-K, SwiGLU, the standard load-balancing loss with {@link #AUX_COEF}. */
    public static MoeConfig moeConfig(DType dtype) {
        return MoeConfig.of(E, K, D, M).withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, AUX_COEF)
                .withDtype(dtype == DType.F64 ? MoeDtype.FLOAT64 : MoeDtype.FLOAT32);
    }

    /** Seeded parameters by name (a state dict); the LM head is zero. {@code dtype} F32, or F64 for gradient checks. */
    public static Map<String, HostArray> initParams(long seed, DType dtype) {
        Map<String, HostArray> p = new TreeMap<>();
        p.put("embed", Init.normal(1.0).create(seed, "embed", Shape.of(VOCAB, D), dtype));
        for (String n : new String[] {"norm1", "norm2", "norm_f"}) p.put(n, Init.constant(1).create(seed, n, Shape.of(D), dtype));
        for (String n : new String[] {"wq", "wk", "wv"}) p.put(n, Init.glorotUniform().create(seed, n, Shape.of(D, HEADS * HD), dtype));
        p.put("wo", Init.glorotUniform().create(seed, "wo", Shape.of(HEADS * HD, D), dtype));
        p.put("gate", Init.normal(0.5).create(seed, "gate", Shape.of(D, E), dtype));
        double std = Math.sqrt(2.0 / (D + M));
        p.put("wi", Init.normal(std).create(seed, "wi", Shape.of(E, D, M), dtype));
        p.put("wu", Init.normal(std).create(seed, "wu", Shape.of(E, D, M), dtype));
        p.put("wd", Init.normal(std).create(seed, "wd", Shape.of(E, M, D), dtype));
        p.put("lm_head", Init.zeros().create(seed, "lm_head", Shape.of(D, VOCAB), dtype));
        return p;
    }

    /** The synthetic batch: {@code [tokens, targets]}, both i32 [B, S]; targets are the tokens shifted by one. */
    public static HostArray[] batch(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] tokens = new long[B * S], targets = new long[B * S];
        for (int b = 0; b < B; b++) {
            long[] seq = new long[S + 2];
            seq[0] = r.nextInt(VOCAB);
            seq[1] = r.nextInt(VOCAB);
            for (int i = 2; i < seq.length; i++) seq[i] = (seq[i - 1] + seq[i - 2]) % VOCAB;
            for (int i = 0; i < S; i++) {
                tokens[b * S + i] = seq[i + 1];
                targets[b * S + i] = seq[i + 2];
            }
        }
        io.hlo4j.mlir.types.TensorType t = io.hlo4j.dsl.Spec.of(DType.I32, B, S).tensorType();
        return new HostArray[] {HostArray.fromLongs(t, tokens), HostArray.fromLongs(t, targets)};
    }

    /**
     * The model on tokens [B, S]: {@code cross_entropy} (mean over tokens), {@code aux_loss} (the MoE layer's
     * load-balancing loss, already scaled by its coefficient), {@code loss} (their sum), {@code logits} [B, S, VOCAB]
     * and {@code router_logits} [B*S, E].
     */
    public static Map<String, Tensor> forward(Map<String, Tensor> p, Tensor tokens, Tensor targets) {
        DType dt = p.get("embed").dtype();
        Tensor x = Indexing.takeInBounds(p.get("embed"), tokens, 0);                                   // [B, S, D]
        Tensor x1 = x.add(attention(p, Nn.rmsNorm(x, p.get("norm1"), EPS)));
        MoeOutput moe = new BaseMoeModule(moeConfig(dt), MoeFusedHooks.none()).moeCall(Nn.rmsNorm(x1, p.get("norm2"), EPS),
                BaseMoeModule.linearGate(p.get("gate")), ExpertWeights.of(p.get("wi"), p.get("wu"), p.get("wd")), true);
        Tensor x2 = x1.add(moe.output());
        Tensor logits = Linalg.einsum("bsd,dv->bsv", Nn.rmsNorm(x2, p.get("norm_f"), EPS), p.get("lm_head"));
        Tensor ce = Losses.softmaxCrossEntropyWithIntegerLabels(logits, targets).mean();
        Tensor aux = moe.metrics().orElseThrow().loadBalancingLoss().orElseThrow();
        Map<String, Tensor> out = new TreeMap<>();
        out.put("loss", ce.add(aux));
        out.put("cross_entropy", ce);
        out.put("aux_loss", aux);
        out.put("logits", logits);
        out.put("router_logits", moe.routerLogits());
        return out;
    }

    /**
     * The attention sub-block on normed activations h [B, S, D]: q, k, v projections into HEADS heads of HD, rotary
     * embeddings by position on q and k, causal softmax attention (scale 1/sqrt(HD)), the output projection; [B, S, D].
     */
    public static Tensor attention(Map<String, Tensor> p, Tensor h) {
        Tensor q = Linalg.einsum("bsd,de->bse", h, p.get("wq")).reshape(B, S, HEADS, HD);
        Tensor k = Linalg.einsum("bsd,de->bse", h, p.get("wk")).reshape(B, S, HEADS, HD);
        Tensor v = Linalg.einsum("bsd,de->bse", h, p.get("wv")).reshape(B, S, HEADS, HD);
        List<Tensor> cs = Rotary.cosSin(Ops.iota(DType.I32, Shape.of(B, S), 1), HD, THETA, h.dtype());  // cos, sin [B, S, HD]
        List<Tensor> qk = Rotary.applyRotaryPosEmb(q, k, cs.get(0), cs.get(1), 2);
        Tensor a = Nn.dotProductAttention(qk.get(0), qk.get(1), v, null, true).reshape(B, S, HEADS * HD);
        return Linalg.einsum("bse,ed->bsd", a, p.get("wo"));
    }

    /** {@code (params, tokens, targets) -> loss}: what is differentiated and trained. */
    @SuppressWarnings("unchecked")
    public static final TracedFunction LOSS = a -> forward((Map<String, Tensor>) a[0], (Tensor) a[1], (Tensor) a[2]).get("loss");

    /** {@code ExpertMeshView.modelMesh(dp, fsdp, ep, tp, sp)}. */
    public static Mesh mesh(int... dpFsdpEpTpSp) {
        return ExpertMeshView.modelMesh(dpFsdpEpTpSp[0], dpFsdpEpTpSp[1], dpFsdpEpTpSp[2], dpFsdpEpTpSp[3], dpFsdpEpTpSp[4]);
    }

    /**
     * MaxText's logical rules on the 5D mesh: embed dim over fsdp, heads and the FFN over tp, vocab over tp, experts over
     * ep; the norms replicated.
     */
    @Override public Map<String, NamedSharding> paramShardings(Mesh m) {
        Map<String, NamedSharding> s = new TreeMap<>();
        s.put("embed", NamedSharding.of(m, "tp", "fsdp"));
        for (String n : new String[] {"norm1", "norm2", "norm_f"}) s.put(n, NamedSharding.of(m));
        for (String n : new String[] {"wq", "wk", "wv"}) s.put(n, NamedSharding.of(m, "fsdp", "tp"));
        s.put("wo", NamedSharding.of(m, "tp", "fsdp"));
        s.put("gate", NamedSharding.of(m, "fsdp", null));
        s.put("wi", NamedSharding.of(m, "ep", "fsdp", "tp"));
        s.put("wu", NamedSharding.of(m, "ep", "fsdp", "tp"));
        s.put("wd", NamedSharding.of(m, "ep", "tp", "fsdp"));
        s.put("lm_head", NamedSharding.of(m, "fsdp", "tp"));
        return s;
    }

    /** Tokens and targets [B, S]: batch over (dp, fsdp), sequence over sp. */
    public static NamedSharding batchSharding(Mesh m) { return NamedSharding.of(m, new String[] {"dp", "fsdp"}, "sp"); }

    /**
     * The train step {@code (params, adamw state, tokens, targets) -> [loss, params', state']} sharded on {@code m}:
     * parameters and their AdamW moments as {@link #paramShardings}, the step count replicated, the batch by
     * {@link #batchSharding}; the updated parameters and moments leave as they came.
     */
    public static ShardedJit shardedStep(Mesh m) { return Training.shardedTrainStep(new MixtralLm(), m); }

    /** Losses of {@code steps} AdamW steps on one device (the interpreter), from seed-0 parameters on {@link #batch}(1): {@link Training}'s loop. */
    public static double[] trainOneDevice(int steps, PrintStream out) {
        MixtralLm lm = new MixtralLm();
        TrainStep.Runner run = new TrainStep.Runner(Training.trainStepName(lm), LOSS, lm.optimizer(), lm.params());
        return Training.loop(Training.StepLine.to(out), run, steps, lm.batch().toArray());
    }

    /** The same steps, sharded on {@code m}'s simulated devices ({@link Training#runSharded}); {@code oneDevice} (may be null) is printed beside. */
    public static double[] trainSharded(Mesh m, int steps, double[] oneDevice, PrintStream out) {
        Training.StepLine line = oneDevice == null ? Training.StepLine.to(out)
                : (i, loss) -> out.printf("step %d loss %.6f (one device %.6f)%n", i, loss, oneDevice[i]);
        return Training.runSharded(new MixtralLm(), m, steps, line, null);
    }

    @Override public double run(PrintStream out, int steps) {
        Map<String, HostArray> params = initParams(0, DType.F32);
        HostArray[] d = batch(1);
        out.printf("mixtral-lm: vocab %d, batch %d x %d tokens, dim %d, %d heads of %d (rotary), %d experts top-%d (SwiGLU, FFN %d), "
                + "aux loss coef %s; %d parameters%n", VOCAB, B, S, D, HEADS, HD, E, K, M, AUX_COEF, StateDicts.parameterCount(params));
        @SuppressWarnings("unchecked")
        Jit parts = Jit.jit("mixtral_lm", a -> forward((Map<String, Tensor>) a[0], (Tensor) a[1], (Tensor) a[2]));
        Map<String, HostArray> first = parts.callMap(params, d[0], d[1]);
        out.printf("initial loss %.6f = cross-entropy %.6f (log %d = %.6f: the LM head starts at zero) + aux %.6f%n",
                first.get("loss").getDouble(0), first.get("cross_entropy").getDouble(0), VOCAB, Math.log(VOCAB),
                first.get("aux_loss").getDouble(0));
        if (steps == 0) return first.get("loss").getDouble(0);
        out.println("one device (the interpreter), AdamW lr " + LR + ":");
        double[] one = trainOneDevice(steps, out);
        Mesh m = mesh(MESH);
        out.printf("%d simulated devices, mesh dp=%d,fsdp=%d,ep=%d,tp=%d,sp=%d (ShardedJit.callSimulated; weights and AdamW moments "
                + "sharded alike):%n", m.size(), MESH[0], MESH[1], MESH[2], MESH[3], MESH[4]);
        double[] sharded = trainSharded(m, steps, one, out);
        double diff = 0;
        for (int i = 0; i < steps; i++) diff = Math.max(diff, Math.abs(sharded[i] - one[i]));
        out.printf("max |%d devices - 1 device| over %d steps below 1e-5: %s; loss went down: %s%n", m.size(), steps, diff < 1e-5,
                one[steps - 1] < one[0] && sharded[steps - 1] < sharded[0]);
        return sharded[steps - 1];
    }

    public static void main(String[] args) { new MixtralLm().run(System.out); }
}
