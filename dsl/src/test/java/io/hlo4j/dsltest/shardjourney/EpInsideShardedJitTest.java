package io.hlo4j.dsltest.shardjourney;

import static io.hlo4j.dsltest.shardjourney.TransformerBlock.*;
import static io.hlo4j.runtime.testing.RelativeError.relErr;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.ep.CollectiveTraffic;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A training-step-shaped program with the expert-parallel layer inside it: block -> {@link ExpertParallelMoe#apply}
 * -> mean((y + moe(y))^2), value and gradients in one {@link ShardedJit} on the 8 simulated devices of the 5D mesh
 * (dp 2, fsdp 1, ep 2, tp 2, sp 1), the block Megatron-split over tp and the batch over dp, so the partitioner
 * reshards the block's output into the manual computation. Oracle: the same model with the one-device FUSED layer
 * (BaseMoeModule), Jit'd on one device, values and gradients.
 */
class EpInsideShardedJitTest {
    static final long E = 4, M = 12;
    static final MoeConfig CFG = MoeConfig.of((int) E, 2, D, (int) M);
    static final Mesh MESH = ExpertMeshView.modelMesh(2, 1, 2, 2, 1);
    static final ExpertMeshView VIEW = ExpertMeshView.of(MESH);

    static Map<String, HostArray> moeParams(long seed) {
        Random r = new Random(seed);
        Map<String, HostArray> m = new TreeMap<>();
        m.put("gate", f32(r, 0.5, D, E));
        m.put("wi", f32(r, 0.3, E, D, M));
        m.put("wu", f32(r, 0.3, E, D, M));
        m.put("wd", f32(r, 0.3, E, M, D));
        return m;
    }

    static HostArray f32(Random r, double scale, long... shape) {
        double[] v = new double[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = scale * r.nextGaussian();
        return HostArray.fromDoubles(Spec.of(DType.F32, shape).tensorType(), v);
    }

    /** (block params, moe params, x) -> mean((y + moe(y))^2), y = block(x), the MoE the one-device FUSED layer. */
    @SuppressWarnings("unchecked")
    static final TracedFunction ONE_DEVICE_LOSS = a -> {
        Map<String, Tensor> mp = (Map<String, Tensor>) a[1];
        Tensor y = TransformerBlock.apply((Map<String, Tensor>) a[0], (Tensor) a[2]);
        Tensor o = new BaseMoeModule(CFG, MoeFusedHooks.none()).moeCall(y, BaseMoeModule.linearGate(mp.get("gate")),
                ExpertWeights.of(mp.get("wi"), mp.get("wu"), mp.get("wd")), false).output();
        return y.add(o).square().mean();
    };

    /** The same loss with the expert-parallel layer traced inside the caller's program. */
    @SuppressWarnings("unchecked")
    static TracedFunction epLoss(ExpertParallelMoe ep) {
        return a -> {
            Map<String, Tensor> mp = (Map<String, Tensor>) a[1];
            Tensor y = TransformerBlock.apply((Map<String, Tensor>) a[0], (Tensor) a[2]);
            Tensor o = ep.apply(y, null, S, mp.get("gate"), ExpertWeights.of(mp.get("wi"), mp.get("wu"), mp.get("wd"))).output();
            return y.add(o).square().mean();
        };
    }

    /** Block weights Megatron-split over tp, experts over ep and M over tp, the gate replicated, the batch over dp. */
    static List<NamedSharding> inShardings() {
        Map<String, NamedSharding> block = new TreeMap<>();
        for (String w : List.of("wq", "wk", "wv", "w1")) block.put(w, NamedSharding.of(MESH, null, "tp"));
        block.put("wo", NamedSharding.of(MESH, "tp", null));
        block.put("w2", NamedSharding.of(MESH, "tp", null));
        block.put("norm1", NamedSharding.of(MESH, (Object) null));
        block.put("norm2", NamedSharding.of(MESH, (Object) null));
        Map<String, NamedSharding> moe = new TreeMap<>();
        moe.put("gate", NamedSharding.of(MESH, null, null));
        moe.put("wi", NamedSharding.of(MESH, "ep", null, "tp"));
        moe.put("wu", NamedSharding.of(MESH, "ep", null, "tp"));
        moe.put("wd", NamedSharding.of(MESH, "ep", "tp", null));
        return ShardedJit.flat(block, moe, NamedSharding.of(MESH, "dp", null, null));
    }

    @ParameterizedTest
    @EnumSource(value = EpMode.class, names = {"REPLICATED", "RING", "TOKEN_SHARDED"})
    @SuppressWarnings("unchecked")
    void valueAndGradientsEqualTheOneDeviceModel(EpMode mode) {
        Map<String, HostArray> bp = params(31, DType.F32), mp = moeParams(32);
        HostArray x = input(33, DType.F32);
        List<Object> want = (List<Object>) Jit.jit("step", Grad.valueAndGrad(ONE_DEVICE_LOSS, 0, 1)).call(bp, mp, x);

        ExpertParallelMoe ep = new ExpertParallelMoe(CFG, VIEW, mode);
        SimulatedRun run = ShardedJit.jit("step", Grad.valueAndGrad(epLoss(ep), 0, 1), inShardings()).callSimulated(bp, mp, x);
        List<Object> got = (List<Object>) run.results();
        double l1 = ((HostArray) want.get(0)).getDouble(0), l8 = ((HostArray) got.get(0)).getDouble(0);
        assertThat(l8).as("%s loss", mode).isCloseTo(l1, org.assertj.core.data.Offset.offset(1e-5 * Math.abs(l1)));
        List<Object> gw = (List<Object>) want.get(1), gg = (List<Object>) got.get(1);
        for (int t = 0; t < 2; t++) {
            Map<String, HostArray> w = (Map<String, HostArray>) gw.get(t), g = (Map<String, HostArray>) gg.get(t);
            assertThat(g.keySet()).isEqualTo(w.keySet());
            for (String k : w.keySet()) assertThat(relErr(g.get(k), w.get(k))).as("%s d/d%s", mode, k).isLessThan(1e-4);
        }
    }

    /**
     * The lowered program: one sdy.manual_computation (the layer's), holding exactly the collectives of the layer's own
     * per-device program (the same body) and the ones the mode promises; after partitioning, no collective on an expert
     * weight in the forward program (experts stay where the caller put them) and no all_gather of one in the backward.
     */
    @ParameterizedTest
    @EnumSource(value = EpMode.class, names = {"REPLICATED", "RING", "TOKEN_SHARDED"})
    void loweredProgramHasOneManualComputationWithTheModesCollectives(EpMode mode) {
        Map<String, HostArray> bp = params(31, DType.F32), mp = moeParams(32);
        HostArray x = input(33, DType.F32);
        ExpertParallelMoe ep = new ExpertParallelMoe(CFG, VIEW, mode);
        io.hlo4j.dsl.jit.Lowered fwd = ShardedJit.jit("fwd", epLoss(ep), inShardings()).lower(bp, mp, x);
        String text = fwd.asText();
        assertThat(count(text, "sdy.manual_computation")).as("one shard_map").isEqualTo(1);
        List<CollectiveTraffic.Collective> cs = CollectiveTraffic.of(fwd.module());
        assertThat(cs).as("the layer's own body").isEqualTo(CollectiveTraffic.of(ep.trace((long) B * S, M, DType.F32, false).run().module()));
        List<String> ops = cs.stream().map(CollectiveTraffic.Collective::op).distinct().toList();
        switch (mode) {
            case REPLICATED -> assertThat(ops).containsExactlyInAnyOrder("reduce_scatter", "all_reduce");
            case RING -> assertThat(ops).contains("all_gather", "reduce_scatter").doesNotContain("ragged_all_to_all");
            case TOKEN_SHARDED -> assertThat(ops).contains("ragged_all_to_all").doesNotContain("all_gather");
            default -> throw new AssertionError(mode);
        }
        // forward: the experts are used where the caller put them, no collective touches one
        assertThat(weightCollectives(partitioned(epLoss(ep), inShardings(), bp, mp, x), false)).as("%s forward", mode).isEmpty();
        // backward too gathers none (the gradients of weights replicated over dp are summed over dp, which is no gather)
        assertThat(weightCollectives(partitioned(Grad.valueAndGrad(epLoss(ep), 0, 1), inShardings(), bp, mp, x), true)).as("%s backward", mode).isEmpty();
        // the check sees a move: wd and wi split on the other weight dimension must be moved in (by all_to_all)
        List<NamedSharding> moved = new java.util.ArrayList<>(inShardings());
        moved.set(9, NamedSharding.of(MESH, null, null, "tp"));   // flattened order: 8 block weights, gate, wd, wi, wu, x
        moved.set(10, NamedSharding.of(MESH, null, "tp", null));
        assertThat(weightCollectives(partitioned(epLoss(ep), moved, bp, mp, x), false)).as("%s, experts split on the wrong dimension", mode).isNotEmpty();
    }

    static io.hlo4j.mlir.ir.Module partitioned(TracedFunction f, List<NamedSharding> in, Object... args) {
        return io.hlo4j.compiler.spmd.Spmd.explicit(ShardedJit.jit("p", f, in).lower(args).module()).module();
    }

    /** The collectives (all_gather only, or any) of a per-device module whose operand or result has an expert weight's shape. */
    static List<String> weightCollectives(io.hlo4j.mlir.ir.Module m, boolean gathersOnly) {
        List<String> found = new java.util.ArrayList<>();
        io.hlo4j.mlir.ir.Walker.walk(m.op(), op -> {
            boolean collective = gathersOnly ? op.name().equals("stablehlo.all_gather")
                    : List.of("all_gather", "all_to_all", "all_reduce", "reduce_scatter", "collective_permute", "collective_broadcast")
                            .contains(op.name().replace("stablehlo.", ""));
            if (!collective) return;
            List<io.hlo4j.mlir.types.Type> types = new java.util.ArrayList<>(op.operandTypes());
            types.addAll(op.resultTypes());
            for (io.hlo4j.mlir.types.Type t : types) {
                long[] d = ((io.hlo4j.mlir.types.TensorType) t).shape();
                boolean weight = d.length == 3 && ((d[1] == D && (d[2] == M || d[2] == M / 2)) || (d[2] == D && (d[1] == M || d[1] == M / 2)));
                if (weight) found.add(op.name() + " " + op.operandTypes() + " -> " + op.resultTypes());
            }
        });
        return found;
    }

    /**
     * Finite differences (f64, central, on the simulated devices) of the sharded loss on a few entries of the expert
     * weights, the gate and a block weight, against the sharded program's own gradients.
     */
    @ParameterizedTest
    @EnumSource(value = EpMode.class, names = {"REPLICATED", "TOKEN_SHARDED"})
    @SuppressWarnings("unchecked")
    void gradientsMatchFiniteDifferences(EpMode mode) {
        MoeConfig cfg64 = CFG.withDtype(io.hlo4j.dsl.moe.MoeDtype.FLOAT64);
        ExpertParallelMoe ep = new ExpertParallelMoe(cfg64, VIEW, mode);
        Map<String, HostArray> bp = params(41, DType.F64), mp = new TreeMap<>();
        moeParams(42).forEach((k, v) -> mp.put(k, v.convert(io.hlo4j.mlir.types.FloatType.F64)));
        HostArray x = input(43, DType.F64);
        ShardedJit loss = ShardedJit.jit("loss", epLoss(ep), inShardings());
        List<Object> vg = (List<Object>) ShardedJit.jit("step", Grad.valueAndGrad(epLoss(ep), 0, 1), inShardings()).callSimulated(bp, mp, x).results();
        Map<String, HostArray> gb = (Map<String, HostArray>) ((List<Object>) vg.get(1)).get(0), gm = (Map<String, HostArray>) ((List<Object>) vg.get(1)).get(1);
        double eps = 1e-5;
        record Entry(boolean moe, String name, int flat) {}
        for (Entry en : List.of(new Entry(true, "wi", 1 * 16 * 12 + 3 * 12 + 5), new Entry(true, "wd", 2 * 12 * 16 + 7 * 16 + 4),
                new Entry(true, "gate", 5 * 4 + 1), new Entry(false, "wq", 2 * 16 + 3))) {
            double fd = (eval(loss, bp, mp, x, en.moe(), en.name(), en.flat(), eps) - eval(loss, bp, mp, x, en.moe(), en.name(), en.flat(), -eps)) / (2 * eps);
            double g = (en.moe() ? gm : gb).get(en.name()).toDoubleArray()[en.flat()];
            assertThat(Math.abs(g)).as("%s d/d%s[%d] is not trivially zero", mode, en.name(), en.flat()).isGreaterThan(1e-6);
            assertThat(g).as("%s d/d%s[%d] vs finite difference", mode, en.name(), en.flat())
                    .isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(fd))));
        }
    }

    /** The sharded loss with entry {@code flat} of {@code name} moved by {@code delta}. */
    static double eval(ShardedJit loss, Map<String, HostArray> bp, Map<String, HostArray> mp, HostArray x, boolean moe, String name, int flat, double delta) {
        Map<String, HostArray> tree = new TreeMap<>(moe ? mp : bp);
        HostArray w = tree.get(name);
        double[] v = w.toDoubleArray();
        v[flat] += delta;
        tree.put(name, HostArray.fromDoubles(w.type(), v));
        HostArray l = (HostArray) loss.callSimulated(moe ? bp : tree, moe ? tree : mp, x).results();
        return l.getDouble(0);
    }

    static int count(String text, String what) { return text.split(java.util.regex.Pattern.quote(what), -1).length - 1; }
}
