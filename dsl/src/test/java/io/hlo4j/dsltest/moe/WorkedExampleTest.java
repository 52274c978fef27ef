package io.hlo4j.dsltest.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.HiddenAct;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * easydel-moe-behavior.md section 5.3, built from its formulas (not from the fixture) and checked against the
 * numbers printed there (6 decimals). Loss values: the doc prints EasyDeL's; the normative ones are hand-derived
 * from the printed probabilities and loads (see each assertion).
 */
class WorkedExampleTest {
    static final double P = 2e-6; // printed to 6 decimals

    static HostArray arr(long[] shape, java.util.function.IntToDoubleFunction f) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = f.applyAsDouble(i);
        return HostArray.fromDoubles(TensorType.of(FloatType.F32, shape), v);
    }

    static final HostArray X = arr(new long[]{1, 3, 4}, i -> (i - 5) / 2.0);
    static final HostArray GATE = arr(new long[]{4, 4}, i -> (i % 5 - 2) / 4.0);
    static final HostArray WI = arr(new long[]{4, 4, 2}, i -> (i % 7 - 3) / 8.0);
    static final HostArray WU = arr(new long[]{4, 4, 2}, i -> (i % 5 - 2) / 8.0);
    static final HostArray WD = arr(new long[]{4, 2, 4}, i -> i % 3 - 1);

    static MoeConfig config(MoeRoutingStrategy r, MoeLoadBalancingStrategy lb, MoEMethods m) {
        return new MoeConfig(4, 2, 4, 2, r, lb, OptionalDouble.of(1.0), OptionalDouble.of(1.0), 1.0, m, MoeDtype.FLOAT32,
                HiddenAct.SILU, false, true, true);
    }

    static List<HostArray> run(MoeConfig cfg) {
        Jit jit = Jit.jit(a -> {
            MoeOutput o = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                    ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), true);
            MoeMetrics<Tensor> m = o.metrics().orElseThrow();
            List<Tensor> outs = new ArrayList<>(List.of(o.output(), o.routerLogits(), m.routerProbs(), m.selectedExperts(), m.selectedWeights(),
                    m.expertLoads(), m.loadBalancingLoss().orElseThrow(), m.routerZLoss().orElseThrow(), m.expertUtilization(), m.routingEntropy()));
            return outs;
        });
        return jit.lower(X, GATE, WI, WU, WD).compile().call(X, GATE, WI, WU, WD);
    }

    static void close(HostArray got, double[] want) {
        double[] g = got.toDoubleArray();
        assertThat(g).hasSize(want.length);
        for (int i = 0; i < want.length; i++) assertThat(g[i]).as("element %d", i).isCloseTo(want[i], within(P));
    }

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void topKReproducesThePrintedNumbers(MoEMethods method) {
        List<HostArray> r = run(config(MoeRoutingStrategy.TOP_K, MoeLoadBalancingStrategy.STANDARD, method));
        close(r.get(1), new double[]{-0.125, 0.625, 0.75, 0.25, 0.375, 0.625, 0.25, -0.75, 0.875, 0.625, -0.25, -1.75});
        close(r.get(2), new double[]{0.143454, 0.303693, 0.344129, 0.208725, 0.286437, 0.367792, 0.252779, 0.092992, 0.459581, 0.357922,
                0.149204, 0.033292});
        assertThat(r.get(3).toLongArray()).containsExactly(2, 1, 1, 0, 0, 1);
        close(r.get(4), new double[]{0.531209, 0.468791, 0.562177, 0.437823, 0.562177, 0.437824});
        // group sizes of the printed sort = the loads
        assertThat(r.get(5).toLongArray()).containsExactly(2, 3, 1, 0);
        close(r.get(0), new double[]{-0.051787, 0.010314, 0.041473, -0.051787, -0.028456, 0.007780, 0.020676, -0.028456, -0.001475, 0.130720,
                -0.129245, -0.001475});
        // EasyDeL's STANDARD loss 3.742184 uses raw counts; the normative one is that over N = 3
        assertThat(r.get(6).toDoubleArray()[0]).isCloseTo(3.742184 / 3, within(P));
        assertThat(r.get(7).toDoubleArray()[0]).isCloseTo(2.890832, within(P));
        assertThat(r.get(8).toDoubleArray()[0]).isCloseTo(0.75, within(P));
        assertThat(r.get(9).toDoubleArray()[0]).isCloseTo(1.250419, within(P));
    }

    @ParameterizedTest
    @EnumSource(MoEMethods.class)
    void topKNdivAndTheOtherLosses(MoEMethods method) {
        List<HostArray> r = run(config(MoeRoutingStrategy.TOP_K_NDIV, MoeLoadBalancingStrategy.SWITCH_TRANSFORMER, method));
        close(r.get(0), new double[]{-0.033549, 0.006682, 0.026867, -0.033549, -0.018617, 0.005090, 0.013527, -0.018617, -0.001206, 0.106864,
                -0.105658, -0.001206});
        // first choices 2, 1, 0: f1 = (1/3, 1/3, 1/3, 0); loss = 4 * sum f1 * mean(p) over experts 0..2
        double pm0 = (0.143454 + 0.286437 + 0.459581) / 3, pm1 = (0.303693 + 0.367792 + 0.357922) / 3, pm2 = (0.344129 + 0.252779 + 0.149204) / 3;
        assertThat(r.get(6).toDoubleArray()[0]).isCloseTo(4 * (pm0 + pm1 + pm2) / 3, within(1e-5));
        // loads (2, 3, 1, 0): population variance 1.25 (EasyDeL's printed value), times E / (N k) = 4 / 6
        List<HostArray> ec = run(config(MoeRoutingStrategy.TOP_K, MoeLoadBalancingStrategy.EXPERT_CHOICE, method));
        assertThat(ec.get(6).toDoubleArray()[0]).isCloseTo(1.25 * 4 / 6, within(P));
    }
}
