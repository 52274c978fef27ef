package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.ep.EpBiases;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any subset of the three biases in the expert-parallel layer (only the up projection's, only wd's, ...): on 8
 * simulated devices with 4 expert shards and tp = 2 (so the wi/wu biases are split over tp and the wd bias is added
 * on one tp member), in every mode, run, gradients and apply equal the one-device FUSED layer given the same subset.
 * Each given bias is also shown to change the one-device output, so an EP layer that dropped one (as a first version
 * did) would fail the equality.
 */
class EpBiasSubsetTest {
    static final EpCase C = EpCase.random(io.hlo4j.dsl.moe.MoeConfig.of(8, 2, 8, 8), 2, 8, true, 81);
    static final Mesh MESH = ExpertMeshView.modelMesh(1, 1, 2, 2, 2);
    static final HostArray CT = EpCase.f32(new Random(82), 1.0, 16, 8);

    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (int bits = 1; bits < 7; bits++) {
            EpBiases b = new EpBiases((bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0);
            for (EpMode m : EpEquivalence.modes()) out.add(new Object[] {b, m});
        }
        return out.stream();
    }

    static HostArray or(boolean given, HostArray a) { return given ? a : null; }

    /** The one-device layer's output [N, H] with the biases of {@code b} (the others absent). */
    static HostArray oneDevice(EpBiases b) {
        List<HostArray> args = new ArrayList<>(List.of(C.x(), C.gate(), C.wi(), C.wu(), C.wd()));
        args.addAll(b.pick(C.wiB(), C.wuB(), C.wdB()));
        return Jit.jit("one", a -> layer(b, a).reshape(16, 8)).call1(args.toArray());
    }

    static Tensor layer(EpBiases b, Object[] a) {
        int next = 5;
        Tensor wiB = b.wi() ? (Tensor) a[next++] : null, wuB = b.wu() ? (Tensor) a[next++] : null, wdB = b.wd() ? (Tensor) a[next++] : null;
        return new BaseMoeModule(C.cfg(), MoeFusedHooks.none()).moeCall(((Tensor) a[0]).reshape(2, 8, 8), BaseMoeModule.linearGate((Tensor) a[1]),
                new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], wiB, wuB, wdB), false).output();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void everyGivenBiasIsUsedAsByTheOneDeviceLayer(EpBiases b, EpMode mode) {
        HostArray want = oneDevice(b);
        // each given bias matters on these inputs: without it the one-device output is another
        for (EpBiases less : List.of(new EpBiases(false, b.wu(), b.wd()), new EpBiases(b.wi(), false, b.wd()), new EpBiases(b.wi(), b.wu(), false))) {
            if (less.equals(b)) continue;
            double[] w = want.toDoubleArray(), o = oneDevice(less).toDoubleArray();
            double diff = 0;
            for (int i = 0; i < w.length; i++) diff = Math.max(diff, Math.abs(w[i] - o[i]));
            assertThat(diff).as("%s: the output with %s differs", b, less).isGreaterThan(1e-3);
        }

        ExpertParallelMoe ep = new ExpertParallelMoe(C.cfg(), ExpertMeshView.of(MESH), mode);
        ExpertParallelMoe.Result r = ep.run(C.x(), null, C.s(), C.gate(), C.wi(), C.wu(), C.wd(), or(b.wi(), C.wiB()), or(b.wu(), C.wuB()), or(b.wd(), C.wdB()));
        EpCase.assertRelClose(b + " " + mode + " run", r.output(), want, EpCase.TOL);
        assertThat(r.program().biases()).isEqualTo(b);

        // apply, inside the caller's program
        int n = 5 + b.count();
        HostArray got = (HostArray) ShardedJit.jit("subset", a -> {
            int next = 5;
            Tensor wiB = b.wi() ? (Tensor) a[next++] : null, wuB = b.wu() ? (Tensor) a[next++] : null, wdB = b.wd() ? (Tensor) a[next++] : null;
            return ep.apply((Tensor) a[0], null, C.s(), (Tensor) a[1], new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], wiB, wuB, wdB)).output();
        }, Collections.nCopies(n, NamedSharding.of(MESH))).callSimulated(args(b)).results();
        EpCase.assertRelClose(b + " " + mode + " apply", got, want.reshape(2, 8, 8), EpCase.TOL);

        // gradients: x, gate, wi, wu, wd, then the given biases in the order wi, wu, wd
        List<HostArray> g = ep.gradients(C.x(), null, C.s(), C.gate(), C.wi(), C.wu(), C.wd(), or(b.wi(), C.wiB()), or(b.wu(), C.wuB()),
                or(b.wd(), C.wdB()), CT);
        int[] wrt = new int[5 + b.count()];
        for (int i = 0; i < wrt.length; i++) wrt[i] = i;
        Object[] argv = Arrays.copyOf(args(b), n + 1);
        argv[n] = CT;
        List<?> wantG = (List<?>) Jit.jit("one_grad", Grad.grad(a -> Reductions.sum(Ops.mul(layer(b, a).reshape(16, 8), (Tensor) a[n]), 0, 1), wrt)).call(argv);
        assertThat(g).hasSize(wrt.length);
        List<String> names = new ArrayList<>(List.of("x", "gate", "wi", "wu", "wd"));
        names.addAll(b.pick("wi bias", "wu bias", "wd bias"));
        for (int i = 0; i < wrt.length; i++) {
            HostArray w = (HostArray) wantG.get(i);
            EpCase.assertRelClose(b + " " + mode + " d/d " + names.get(i), g.get(i), w.reshape(g.get(i).shape()), 1e-4);
        }
    }

    static Object[] args(EpBiases b) {
        List<HostArray> a = new ArrayList<>(List.of(C.x(), C.gate(), C.wi(), C.wu(), C.wd()));
        a.addAll(b.pick(C.wiB(), C.wuB(), C.wdB()));
        return a.toArray();
    }
}
