package io.hlo4j.dsltest.moejourney;

import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** What a user writes once and reuses all week: random inputs, the layer as a jit'd function, comparisons. */
final class MoeJourney {
    private MoeJourney() {}

    static MoeOracle.Inputs random(long seed, int b, int s, int h, int e, int m, boolean biases) {
        Random r = new Random(seed);
        return new MoeOracle.Inputs(b, s, h, e, m, gauss(r, b * s * h, 1.0), gauss(r, h * e, 0.8), gauss(r, e * h * m, 0.5),
                gauss(r, e * h * m, 0.5), gauss(r, e * m * h, 0.5), biases ? gauss(r, e * m, 0.3) : null,
                biases ? gauss(r, e * m, 0.3) : null, biases ? gauss(r, e * h, 0.3) : null);
    }

    static double[] gauss(Random r, int size, double scale) {
        double[] v = new double[size];
        for (int i = 0; i < size; i++) v[i] = r.nextGaussian() * scale;
        return v;
    }

    static HostArray array(DType d, double[] v, long... shape) { return HostArray.fromDoubles(Spec.of(d, shape).tensorType(), v); }

    /** The layer's arguments in the order {@link #layer} reads them: x, gate, wi, wu, wd[, wi_b, wu_b, wd_b]. */
    static List<HostArray> args(MoeOracle.Inputs in, DType d) {
        List<HostArray> a = new ArrayList<>(List.of(array(d, in.x(), in.b(), in.s(), in.h()), array(d, in.gate(), in.h(), in.e()),
                array(d, in.wi(), in.e(), in.h(), in.m()), array(d, in.wu(), in.e(), in.h(), in.m()), array(d, in.wd(), in.e(), in.m(), in.h())));
        if (in.wiB() != null) a.addAll(List.of(array(d, in.wiB(), in.e(), in.m()), array(d, in.wuB(), in.e(), in.m()), array(d, in.wdB(), in.e(), in.h())));
        return a;
    }

    static ExpertWeights experts(Object[] a) {
        return a.length > 5 ? new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], (Tensor) a[5], (Tensor) a[6], (Tensor) a[7])
                : ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]);
    }

    static MoeOutput call(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, Object[] a, boolean metrics) {
        return new BaseMoeModule(cfg, hooks).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]), experts(a), metrics);
    }

    /** The layer with every metric as a map of named results (a loss only when it is computed): {@link MoeOutput#asMap()}. */
    static TracedFunction layer(MoeConfig cfg, MoeFusedHooks<Tensor> hooks) {
        return a -> call(cfg, hooks, a, true).asMap();
    }

    static Map<String, HostArray> run(MoeConfig cfg, MoeFusedHooks<Tensor> hooks, MoeOracle.Inputs in, DType d) {
        return Jit.jit("moe", layer(cfg, hooks)).callMap(args(in, d).toArray());
    }

    static double[] flat(double[][] v) {
        return java.util.Arrays.stream(v).flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    static long[] flat(int[][] v) {
        return java.util.Arrays.stream(v).flatMapToInt(java.util.Arrays::stream).asLongStream().toArray();
    }

    /** max |got - want| <= tol * max(1, max |want|). */
    static void assertClose(String what, double[] got, double[] want, double tol) {
        assertThat(got).as(what + ": length").hasSize(want.length);
        double scale = 1;
        for (double v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) {
            assertThat(Math.abs(got[i] - want[i])).as("%s[%d]: got %s, want %s", what, i, got[i], want[i]).isLessThanOrEqualTo(tol * scale);
        }
    }

    /** The layer's results against the oracle: selection and loads exact, values to {@code tol}. */
    static void assertMatches(String what, Map<String, HostArray> got, MoeOracle.Result want, double tol) {
        assertThat(got.get("selected_experts").toLongArray()).as(what + ": selected experts").containsExactly(flat(want.experts()));
        assertThat(got.get("expert_loads").toLongArray()).as(what + ": expert loads").containsExactly(want.loads());
        assertClose(what + ": selected weights", got.get("selected_weights").toDoubleArray(), flat(want.weights()), tol);
        assertClose(what + ": router logits", got.get("router_logits").toDoubleArray(), flat(want.logits()), tol);
        assertClose(what + ": router probs", got.get("router_probs").toDoubleArray(), flat(want.probs()), tol);
        assertClose(what + ": output", got.get("output").toDoubleArray(), flat(want.out()), tol);
        assertThat(got.get("expert_utilization").getDouble(0)).as(what + ": utilization").isEqualTo(want.utilization());
        assertClose(what + ": entropy", new double[] {got.get("routing_entropy").getDouble(0)}, new double[] {want.entropy()}, tol);
        assertThat(got.containsKey("load_balancing_loss")).as(what + ": a load-balancing loss is reported").isEqualTo(want.lbl() != null);
        if (want.lbl() != null) assertClose(what + ": load-balancing loss", new double[] {got.get("load_balancing_loss").getDouble(0)}, new double[] {want.lbl()}, tol);
        assertThat(got.containsKey("router_z_loss")).as(what + ": a z-loss is reported").isEqualTo(want.z() != null);
        if (want.z() != null) assertClose(what + ": router z-loss", new double[] {got.get("router_z_loss").getDouble(0)}, new double[] {want.z()}, tol);
    }
}
