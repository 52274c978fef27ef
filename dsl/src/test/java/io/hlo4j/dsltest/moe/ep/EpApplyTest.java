package io.hlo4j.dsltest.moe.ep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
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
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * {@link ExpertParallelMoe#apply}, the layer traced inside the caller's {@link ShardedJit}: results with biases
 * whatever sharding the caller gives x and the weights (the partitioner reshards), hash routing with the caller's
 * token ids, the token-sharded diagnostics, and the refusals (no mesh, another mesh, wrong shapes). Oracle: the
 * unpartitioned one-device FUSED layer ({@link EpCase}).
 */
class EpApplyTest {
    static final EpCase C = EpEquivalence.TOP2_BIAS;   // E 8, k 2, H 8, M 8, x [2, 8, 8]
    static final Mesh MESH = ExpertMeshView.modelMesh(1, 1, 2, 2, 2);

    /** (x, gate, wi, wu, wd, wi_b, wu_b, wd_b) -> [output, router logits, expert loads] through apply. */
    static io.hlo4j.dsl.jit.TracedFunction layer(ExpertParallelMoe ep) {
        return a -> {
            ExpertWeights w = new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], (Tensor) a[5], (Tensor) a[6], (Tensor) a[7]);
            ExpertParallelMoe.Applied o = ep.apply((Tensor) a[0], null, C.s(), (Tensor) a[1], w);
            return List.of(o.output(), o.routerLogits(), o.expertLoads());
        };
    }

    /**
     * x split over sp on the sequence and tp on H, the experts over tp on E and the gate over ep, none of which is
     * the body's layout: the partitioner moves them in, and the results equal the one-device layer.
     */
    @ParameterizedTest
    @EnumSource(value = EpMode.class, names = {"REPLICATED", "RING", "TOKEN_SHARDED", "AUTO"})
    @SuppressWarnings("unchecked")
    void anyCallerShardingGivesTheOneDeviceResults(EpMode mode) {
        ExpertParallelMoe ep = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(MESH), mode);
        NamedSharding experts = NamedSharding.of(MESH, "tp", null, null);
        List<NamedSharding> in = List.of(NamedSharding.of(MESH, null, "sp", "tp"), NamedSharding.of(MESH, "ep", null), experts, experts, experts,
                NamedSharding.of(MESH, null, null), NamedSharding.of(MESH, null, null), NamedSharding.of(MESH, "ep", null));
        List<HostArray> got = (List<HostArray>) ShardedJit.jit("layer", layer(ep), in)
                .callSimulated(C.x(), C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB()).results();
        EpCase.assertRelClose(mode + " output", got.get(0), C.oracle().get(0), EpCase.TOL);
        EpCase.assertRelClose(mode + " router logits", got.get(1), C.oracle().get(1), EpCase.TOL);
        assertThat(got.get(2).toLongArray()).as(mode + " expert loads").containsExactly(C.oracle().get(2).toLongArray());
    }

    /**
     * Hash routing reads the caller's token ids [B, S]: the same expert choice as the one-device layer given them; with
     * null ids, positions within the sequence, as the one-device layer without ids.
     */
    @ParameterizedTest
    @EnumSource(value = EpMode.class, names = {"REPLICATED", "TOKEN_SHARDED"})
    @SuppressWarnings("unchecked")
    void hashRoutingReadsTheCallersTokenIds(EpMode mode) {
        MoeConfig cfg = C.cfg().withRoutingStrategy(MoeRoutingStrategy.HASH);
        long[] v = new long[16];
        Random r = new Random(5);
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(1000);
        HostArray ids = HostArray.fromLongs(TensorType.of(IntegerType.I32, 2, 8), v);
        HostArray want = Jit.jit("one", a -> new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), (Tensor) a[5], false).output()).call1(C.x(), C.gate(), C.wi(), C.wu(), C.wd(), ids);
        ExpertParallelMoe ep = new ExpertParallelMoe(cfg, ExpertMeshView.of(MESH), mode);
        HostArray got = (HostArray) ShardedJit.jit("hash", a -> ep.apply((Tensor) a[0], (Tensor) a[5], C.s(), (Tensor) a[1],
                ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4])).output(), Collections.nCopies(6, NamedSharding.of(MESH)))
                .callSimulated(C.x(), C.gate(), C.wi(), C.wu(), C.wd(), ids).results();
        EpCase.assertRelClose(mode + " hash-routed output", got, want, EpCase.TOL);
        // positions instead of the ids route differently: the ids were read
        HostArray byPosition = (HostArray) ShardedJit.jit("pos", a -> ep.apply((Tensor) a[0], null, C.s(), (Tensor) a[1],
                ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4])).output(), Collections.nCopies(5, NamedSharding.of(MESH)))
                .callSimulated(C.x(), C.gate(), C.wi(), C.wu(), C.wd()).results();
        assertThat(byPosition.toDoubleArray()).isNotEqualTo(got.toDoubleArray());
        HostArray wantByPosition = Jit.jit("one", a -> new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0],
                BaseMoeModule.linearGate((Tensor) a[1]), ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), false).output())
                .call1(C.x(), C.gate(), C.wi(), C.wu(), C.wd());
        EpCase.assertRelClose(mode + " hash-routed by position", byPosition, wantByPosition, EpCase.TOL);
    }

    /** Two layers in one program (x + moe1(x), then + moe2), in two modes: two manual computations, the one-device result. */
    @Test
    @SuppressWarnings("unchecked")
    void twoLayersInOneProgram() {
        ExpertParallelMoe first = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(MESH), EpMode.RING);
        ExpertParallelMoe second = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(MESH), EpMode.TOKEN_SHARDED);
        BaseMoeModule one = new BaseMoeModule(C.cfg(), MoeFusedHooks.none());
        EpCase d = EpEquivalence.TOP2;   // the second layer's weights
        Object[] inputs = {C.x(), C.gate(), C.wi(), C.wu(), C.wd(), d.gate(), d.wi(), d.wu(), d.wd()};
        HostArray want = Jit.jit("two", a -> {
            Tensor y = ((Tensor) a[0]).add(one.moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                    ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), false).output());
            return y.add(one.moeCall(y, BaseMoeModule.linearGate((Tensor) a[5]), ExpertWeights.of((Tensor) a[6], (Tensor) a[7], (Tensor) a[8]), false).output());
        }).call1(inputs);
        io.hlo4j.dsl.jit.TracedFunction two = a -> {
            Tensor y = ((Tensor) a[0]).add(first.apply((Tensor) a[0], null, C.s(), (Tensor) a[1],
                    ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4])).output());
            return y.add(second.apply(y, null, C.s(), (Tensor) a[5], ExpertWeights.of((Tensor) a[6], (Tensor) a[7], (Tensor) a[8])).output());
        };
        ShardedJit jit = ShardedJit.jit("two", two, Collections.nCopies(9, NamedSharding.of(MESH)));
        assertThat(jit.lower(inputs).asText().split("sdy.manual_computation", -1)).as("two manual computations").hasSize(3);
        EpCase.assertRelClose("two layers", (HostArray) jit.callSimulated(inputs).results(), want, EpCase.TOL);
    }

    /**
     * Token-sharded with a receive buffer below what a shard receives: the traced layer cannot throw at run time, so
     * it hands the rows each device dropped to the caller; the default buffer (the worst case) drops none.
     */
    @Test
    @SuppressWarnings("unchecked")
    void tokenShardedHandsTheDroppedRowsToTheCaller() {
        Mesh four = ExpertMeshView.modelMesh(1, 1, 4, 1, 1);
        long[] dropped = new long[2];
        for (int c = 0; c < 2; c++) {
            ExpertParallelMoe ep = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(four), EpMode.TOKEN_SHARDED);
            if (c == 1) ep = ep.withCapacity(1);
            ExpertParallelMoe e = ep;
            List<HostArray> got = (List<HostArray>) ShardedJit.jit("drop", a -> {
                ExpertParallelMoe.Applied o = e.apply((Tensor) a[0], null, C.s(), (Tensor) a[1], ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]));
                return List.of(o.sentRows(), o.droppedRows());
            }, Collections.nCopies(5, NamedSharding.of(four))).callSimulated(C.x(), C.gate(), C.wi(), C.wu(), C.wd()).results();
            assertThat(got.get(0).shape()).as("rows sent [devices, X]").containsExactly(4, 4);
            assertThat(got.get(1).shape()).containsExactly(4);
            dropped[c] = java.util.Arrays.stream(got.get(1).toLongArray()).sum();
            // shard m receives one row per (token, m) pair, from the one-device routing; beyond the buffer, dropped
            long[] experts = C.oracle().get(3).toLongArray(), sent = got.get(0).toLongArray();
            long over = 0;
            for (int m = 0; m < 4; m++) {
                long received = 0, sentTo = 0;
                for (int t = 0; t < 16; t++) if (experts[2 * t] / 2 == m || experts[2 * t + 1] / 2 == m) received++;
                for (int d = 0; d < 4; d++) sentTo += sent[d * 4 + m];
                if (c == 0) assertThat(sentTo).as("rows sent to shard %d", m).isEqualTo(received);
                over += Math.max(0, received - (c == 1 ? 1 : 16));
            }
            assertThat(dropped[c]).as("capacity %s", c == 1 ? "1" : "default").isEqualTo(over);
        }
        assertThat(dropped[0]).isZero();
        assertThat(dropped[1]).isPositive();
    }

    @Test
    void refusesAPlainJitAnotherMeshAndWrongShapesByName() {
        ExpertParallelMoe ep = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(MESH), EpMode.RING);
        Object[] args = {C.x(), C.gate(), C.wi(), C.wu(), C.wd(), C.wiB(), C.wuB(), C.wdB()};
        assertThatThrownBy(() -> Jit.jit("plain", layer(ep)).lower(args)).isInstanceOf(MoeException.class)
                .hasMessageContaining("ExpertParallelMoe.apply: needs a sharded trace").hasMessageContaining("declares no mesh");

        Mesh other = Mesh.of(8, List.of("data", "model"), 2, 4);
        assertThatThrownBy(() -> ShardedJit.jit("other", layer(ep), Collections.nCopies(8, NamedSharding.of(other))).lower(args))
                .isInstanceOf(MoeException.class)
                // the text docs/moe-expert-parallelism.md quotes: both meshes in one format
                .hasMessageContaining("the caller's sharded jit uses mesh @mesh [\"data\"=2, \"model\"=4], but the expert layout's mesh is "
                        + "@mesh [\"dp\"=1, \"fsdp\"=1, \"ep\"=2, \"tp\"=2, \"sp\"=2]; shard the whole program on the layout's model mesh");

        List<Object> bad = new ArrayList<>(List.of(args));
        bad.set(1, Spec.of(DType.F32, 8, 4));
        assertThatThrownBy(() -> ShardedJit.jit("bad", layer(ep), Collections.nCopies(8, NamedSharding.of(MESH))).lower(bad.toArray()))
                .isInstanceOf(MoeException.class).hasMessageContaining("gate f32[8, 4], expected f32[8, 8]");
    }
}
