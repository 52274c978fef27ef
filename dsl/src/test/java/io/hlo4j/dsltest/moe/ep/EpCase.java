package io.hlo4j.dsltest.moe.ep;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsltest.testing.MeshFactorisations;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Random MoE inputs, the unpartitioned FUSED oracle on one device, and the comparison of an EP run against it. */
record EpCase(MoeConfig cfg, long b, long s, HostArray x, HostArray gate, HostArray wi, HostArray wu, HostArray wd,
              HostArray wiB, HostArray wuB, HostArray wdB, List<HostArray> oracle) {
    static final double TOL = 1e-5;

    static EpCase random(MoeConfig cfg, long b, long s, boolean biases, long seed) {
        Random rnd = new Random(seed);
        long h = cfg.hiddenSize(), m = cfg.moeIntermediateSize(), e = cfg.nRoutedExperts();
        HostArray x = f32(rnd, 1.0, b, s, h), gate = f32(rnd, 1.0, h, e);
        HostArray wi = f32(rnd, 0.5, e, h, m), wu = f32(rnd, 0.5, e, h, m), wd = f32(rnd, 0.5, e, m, h);
        HostArray wiB = biases ? f32(rnd, 0.1, e, m) : null, wuB = biases ? f32(rnd, 0.1, e, m) : null, wdB = biases ? f32(rnd, 0.1, e, h) : null;
        MoeConfig fused = cfg.withMoeMethod(MoEMethods.FUSED_MOE);
        List<HostArray> args = new ArrayList<>(List.of(x, gate, wi, wu, wd));
        if (biases) args.addAll(List.of(wiB, wuB, wdB));
        Jit jit = Jit.jit("oracle", a -> {
            ExpertWeights w = new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], biases ? (Tensor) a[5] : null,
                    biases ? (Tensor) a[6] : null, biases ? (Tensor) a[7] : null);
            MoeOutput o = new BaseMoeModule(fused, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]), w, true);
            return List.of(o.output(), o.routerLogits(), o.metrics().orElseThrow().expertLoads(), o.metrics().orElseThrow().selectedExperts());
        });
        HostArray[] argv = args.toArray(HostArray[]::new);
        List<HostArray> oracle = jit.lower((Object[]) argv).compile().call(argv);
        return new EpCase(fused, b, s, x, gate, wi, wu, wd, wiB, wuB, wdB, oracle);
    }

    static HostArray f32(Random rnd, double scale, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextGaussian() * scale;
        return HostArray.fromDoubles(TensorType.of(FloatType.F32, shape), v);
    }

    ExpertParallelMoe.Result runEp(ExpertMeshView view, EpMode mode) {
        return new ExpertParallelMoe(cfg, view, mode).run(x, null, s, gate, wi, wu, wd, wiB, wuB, wdB);
    }

    /** Output, router logits and expert loads of an EP run equal the oracle's. */
    void check(String what, ExpertParallelMoe.Result r) {
        long n = b * s, h = cfg.hiddenSize();
        assertRelClose(what + " output", r.output(), oracle.get(0).reshape(n, h), TOL);
        assertRelClose(what + " router logits", r.routerLogits(), oracle.get(1), TOL);
        assertThat(r.expertLoads().toLongArray()).as(what + " expert loads").containsExactly(oracle.get(2).toLongArray());
    }

    static void assertRelClose(String what, HostArray got, HostArray want, double tol) {
        assertThat(got.shape()).as(what + " shape").containsExactly(want.shape());
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        double scale = 1e-6;
        for (double v : w) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < w.length; i++) {
            double err = Math.abs(g[i] - w[i]) / scale;
            if (!(err <= tol)) throw new AssertionError(what + ": element " + i + " is " + g[i] + ", want " + w[i] + " (relative error " + err + " > " + tol + ")");
        }
    }

    static HostArray i32(long... v) { return HostArray.fromLongs(TensorType.of(IntegerType.I32, v.length), v); }

    /** Every (dp, fsdp, ep, tp, sp) with product {@code devices}. */
    static List<int[]> factorisations(int devices) { return MeshFactorisations.of(devices); }
}
