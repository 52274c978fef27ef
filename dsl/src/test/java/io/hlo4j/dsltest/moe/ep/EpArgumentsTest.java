package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;

/**
 * The argument rules {@link ExpertParallelMoe#run}, {@link ExpertParallelMoe#gradients} and {@link ExpertParallelMoe#apply}
 * share (one check): a sequence length other than x's, token ids laid out other than x's
 * tokens are refused by every entry point instead of giving a different result than the one-device layer; an unused
 * sequence length is not checked; a caller's mesh that differs only in device order gets a hint that works. Oracle:
 * the one-device FUSED layer ({@code BaseMoeModule.moeCall}).
 */
class EpArgumentsTest {
    static final EpCase C = EpEquivalence.TOP2_BIAS;   // E 8, k 2, H 8, M 8, x [2, 8, 8]
    static final Mesh MESH = ExpertMeshView.modelMesh(1, 1, 2, 2, 2);
    static final MoeConfig HASH = C.cfg().withRoutingStrategy(MoeRoutingStrategy.HASH);

    static ShardedJit applyJit(ExpertParallelMoe ep, Mesh mesh, long seqLen, boolean withIds, boolean[] biases) {
        int n = 5 + (withIds ? 1 : 0) + 3;
        TracedFunction f = a -> {
            Tensor[] b = new Tensor[3];
            for (int i = 0; i < 3; i++) b[i] = biases[i] ? (Tensor) a[5 + (withIds ? 1 : 0) + i] : null;
            return ep.apply((Tensor) a[0], withIds ? (Tensor) a[5] : null, seqLen, (Tensor) a[1],
                    new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], b[0], b[1], b[2])).output();
        };
        return ShardedJit.jit("layer", f, Collections.nCopies(n, NamedSharding.of(mesh)));
    }

    static Object[] args(HostArray ids) {
        return ids == null ? new Object[]{C.x(), C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB()}
                : new Object[]{C.x(), C.gate(), C.wi(), C.wu(), C.wd(), ids, C.wiB(), C.wuB(), C.wdB()};
    }

    static HostArray zeros(HostArray like) {
        return HostArray.fromDoubles(TensorType.of(FloatType.F32, like.shape()), new double[(int) like.size()]);
    }

    /** Hash routing without ids reads positions n mod S, S being x's sequence dimension: another seqLen is refused by name. */
    @Test
    void hashPositionsNeedXsOwnSequenceLength() {
        ExpertParallelMoe ep = new ExpertParallelMoe(HASH, ExpertMeshView.of(MESH), EpMode.REPLICATED);
        assertThatThrownBy(() -> applyJit(ep, MESH, 3, false, new boolean[]{true, true, true}).lower(args(null)))
                .isInstanceOf(MoeException.class).hasMessageContaining("ExpertParallelMoe.apply: sequence length 3 differs from x f32[2, 8, 8]'s sequence dimension S = 8");
        assertThatThrownBy(() -> ep.run(C.x(), null, 3, C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB()))
                .isInstanceOf(MoeException.class).hasMessageContaining("ExpertParallelMoe.run: sequence length 3 differs").hasMessageContaining("S = 8");
        // x [N, H] has no sequence dimension: seqLen is the caller's, and must be at least 1
        assertThatThrownBy(() -> ep.run(C.x().reshape(16, 8), null, 0, C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB()))
                .isInstanceOf(MoeException.class).hasMessageContaining("sequence length 0 must be at least 1");
    }

    /**
     * The cotangent is read row by row in x's token order, so only x's shape or [N, H] is taken (a transposed one used
     * to pass its element count and give other gradients); metrics redo hash routing from the run's own positions or
     * ids, so another sequence length, or ids the run did not use, are refused. Oracle for the accepted case: the
     * metrics of the same run with the run's own sequence length.
     */
    @Test
    void cotangentShapeAndMetricsArgumentsFollowTheRun() {
        ExpertParallelMoe ep = new ExpertParallelMoe(HASH, ExpertMeshView.of(MESH), EpMode.REPLICATED);
        HostArray transposed = HostArray.fromDoubles(TensorType.of(FloatType.F32, 8, 16), new double[128]);
        assertThatThrownBy(() -> ep.gradients(C.x(), null, C.s(), C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB(), transposed))
                .isInstanceOf(MoeException.class).hasMessageContaining("ExpertParallelMoe.gradients: cotangent f32[8, 16] must be shaped like x f32[2, 8, 8] (or [16, 8])");
        ExpertParallelMoe.Result r = ep.run(C.x(), null, C.s(), C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB());
        assertThatThrownBy(() -> ep.metrics(r, null, 3))
                .isInstanceOf(MoeException.class).hasMessageContaining("ExpertParallelMoe.metrics: sequence length 3 differs from the run's 8");
        HostArray ids = HostArray.fromLongs(TensorType.of(IntegerType.I32, 2, 8), new long[16]);
        assertThatThrownBy(() -> ep.metrics(r, ids, C.s()))
                .isInstanceOf(MoeException.class).hasMessageContaining("were not given to the run (it used positions n mod 8); pass null");
        assertThat(ep.metrics(r, null, C.s()).selectedExperts().toLongArray()).hasSize(32);
    }

    /** Token ids are one per token, laid out like x's tokens: [S, B] or [N, 1] for x [B, S, H] are refused, as the one-device layer does. */
    @Test
    void tokenIdsMustBeLaidOutLikeXsTokens() {
        ExpertParallelMoe ep = new ExpertParallelMoe(HASH, ExpertMeshView.of(MESH), EpMode.REPLICATED);
        for (long[] shape : new long[][]{{8, 2}, {16, 1}, {16}}) {
            HostArray ids = HostArray.fromLongs(TensorType.of(IntegerType.I32, shape), new long[16]);
            assertThatThrownBy(() -> applyJit(ep, MESH, C.s(), true, new boolean[]{true, true, true}).lower(args(ids)))
                    .isInstanceOf(MoeException.class).hasMessageContaining("ExpertParallelMoe.apply: token ids i32" + java.util.Arrays.toString(shape)
                            + " must be integers [2, 8] for x f32[2, 8, 8]");
            assertThatThrownBy(() -> ep.run(C.x(), ids, C.s(), C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB()))
                    .isInstanceOf(MoeException.class).hasMessageContaining("ExpertParallelMoe.run: token ids").hasMessageContaining("must be integers [2, 8]");
        }
        HostArray floats = HostArray.fromDoubles(TensorType.of(FloatType.F32, 2, 8), new double[16]);
        assertThatThrownBy(() -> ep.run(C.x(), floats, C.s(), C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB()))
                .isInstanceOf(MoeException.class).hasMessageContaining("token ids f32[2, 8] must be integers");
        // x [N, H] takes ids [N]: the same routing as the one-device layer given them as [B, S]
        long[] v = new long[16];
        for (int i = 0; i < 16; i++) v[i] = (7L * i + 3) % 13;
        HostArray flat = HostArray.fromLongs(TensorType.of(IntegerType.I32, 16), v);
        HostArray want = Jit.jit("one", a -> new BaseMoeModule(HASH, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), (Tensor) a[5], false).output())
                .call1(C.x(), C.gate(), C.wi(), C.wu(), C.wd(), flat.reshape(2, 8));
        ExpertParallelMoe.Result r = ep.run(C.x().reshape(16, 8), flat, 0, C.gate(), C.wi(), C.wu(), C.wd(), null, null, null);
        EpCase.assertRelClose("x [N, H] with ids [N]", r.output(), want.reshape(16, 8), EpCase.TOL);
    }

    /** Routing other than hash never reads positions, so an unused sequence length (0 here) is not refused. */
    @Test
    void anUnreadSequenceLengthIsNotChecked() {
        ExpertParallelMoe ep = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(MESH), EpMode.TOKEN_SHARDED);
        HostArray got = (HostArray) applyJit(ep, MESH, 0, false, new boolean[]{true, true, true}).callSimulated(args(null)).results();
        EpCase.assertRelClose("top-k, seqLen 0", got, C.oracle().get(0), EpCase.TOL);
    }

    /**
     * A caller mesh with the model axes and sizes under another name, or in another device order, is another mesh:
     * refused, both meshes printed in one format. Another name gets the hint to build the layer on the caller's mesh,
     * and following it gives the one-device results, for a non-iota device order too (EpDeviceOrderTest).
     */
    @Test
    void aSameShapedMeshGetsAHintThatWorks() {
        Mesh renamed = MESH.named("model");
        ExpertParallelMoe onMesh = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(MESH), EpMode.RING);
        assertThatThrownBy(() -> applyJit(onMesh, renamed, C.s(), false, new boolean[]{true, true, true}).lower(args(null)))
                .isInstanceOf(MoeException.class)
                .hasMessageContaining("the caller's sharded jit uses mesh @model [\"dp\"=1, \"fsdp\"=1, \"ep\"=2, \"tp\"=2, \"sp\"=2], "
                        + "but the expert layout's mesh is @mesh [\"dp\"=1, \"fsdp\"=1, \"ep\"=2, \"tp\"=2, \"sp\"=2]; ")
                .hasMessageContaining("new ExpertParallelMoe(config, ExpertMeshView.of(callerMesh), mode)");
        ExpertParallelMoe onCallers = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(renamed), EpMode.RING);
        HostArray got = (HostArray) applyJit(onCallers, renamed, C.s(), false, new boolean[]{true, true, true}).callSimulated(args(null)).results();
        EpCase.assertRelClose("ring on the caller's renamed mesh", got, C.oracle().get(0), EpCase.TOL);

        int[] ids = new int[8];
        for (int i = 0; i < 8; i++) ids[i] = 7 - i;
        Mesh permuted = Mesh.withDeviceIds(ExpertMeshView.MODEL_AXES, new int[]{1, 1, 2, 2, 2}, ids);
        assertThatThrownBy(() -> applyJit(onMesh, permuted, C.s(), false, new boolean[]{true, true, true}).lower(args(null)))
                .isInstanceOf(MoeException.class)
                .hasMessageContaining("uses mesh @mesh [\"dp\"=1, \"fsdp\"=1, \"ep\"=2, \"tp\"=2, \"sp\"=2] device_ids=[7, 6, 5, 4, 3, 2, 1, 0], but")
                .hasMessageContaining("new ExpertParallelMoe(config, ExpertMeshView.of(callerMesh), mode)");
        ExpertParallelMoe onPermuted = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(permuted), EpMode.RING);
        HostArray onIt = (HostArray) applyJit(onPermuted, permuted, C.s(), false, new boolean[]{true, true, true}).callSimulated(args(null)).results();
        EpCase.assertRelClose("ring on the caller's permuted mesh", onIt, C.oracle().get(0), EpCase.TOL);
    }

    /** Value and gradients (x and the three biases) of a loss through apply with biases, under Grad, equal the one-device layer's. */
    @Test
    @SuppressWarnings("unchecked")
    void biasGradientsThroughApplyEqualTheOneDeviceLayer() {
        ExpertParallelMoe ep = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(MESH), EpMode.TOKEN_SHARDED);
        BaseMoeModule one = new BaseMoeModule(C.cfg(), MoeFusedHooks.none());
        java.util.function.Function<Boolean, TracedFunction> loss = parallel -> a -> {
            Tensor x = (Tensor) a[0];
            ExpertWeights w = new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], (Tensor) a[5], (Tensor) a[6], (Tensor) a[7]);
            Tensor y = parallel ? ep.apply(x, null, C.s(), (Tensor) a[1], w).output()
                    : one.moeCall(x, BaseMoeModule.linearGate((Tensor) a[1]), w, false).output();
            return Ops.mul(y, Ops.tanh(x)).sum();
        };
        Object[] in = args(null);
        List<Object> want = (List<Object>) Jit.jit("one", Grad.valueAndGrad(loss.apply(false), 0, 5, 6, 7)).call(in);
        List<Object> got = (List<Object>) ShardedJit.jit("ep", Grad.valueAndGrad(loss.apply(true), 0, 5, 6, 7),
                Collections.nCopies(8, NamedSharding.of(MESH))).callSimulated(in).results();
        EpCase.assertRelClose("loss", (HostArray) got.get(0), (HostArray) want.get(0), EpCase.TOL);
        String[] names = {"d x", "d wi bias", "d wu bias", "d wd bias"};
        for (int i = 0; i < 4; i++) {
            HostArray g = ((List<HostArray>) got.get(1)).get(i), w = ((List<HostArray>) want.get(1)).get(i);
            assertThat(java.util.Arrays.stream(w.toDoubleArray()).map(Math::abs).max().orElse(0)).as(names[i] + " is not zero").isPositive();
            EpCase.assertRelClose(names[i], g, w, 1e-4);
        }
    }
}
