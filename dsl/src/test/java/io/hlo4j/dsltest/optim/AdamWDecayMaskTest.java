package io.hlo4j.dsltest.optim;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.nn.Params;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** AdamW's decay mask: masked-out parameters take the plain Adam step, against AdamW written out in doubles. */
class AdamWDecayMaskTest {
    static final double LR = 0.1, B1 = 0.9, B2 = 0.999, EPS = 1e-8, WD = 0.5;
    /** AdamW computes its bias corrections in f32: 1 - 0.999 there is off by 1.3e-5 relative, ~2e-6 after 3 steps. */
    static final double TOL = 1e-5;
    static final double[] B0 = {0.5, -1}, W0 = {2, -3}, GB = {3, -0.25}, GW = {-1.5, 4};

    /** Linear in the parameters, so the gradients are the constant batch arrays gb and gw. */
    static final TracedFunction LOSS = a -> {
        Params p = Params.of(a[0]);
        return p.get("lin.b").mul((Tensor) a[1]).sum().add(p.get("lin.w").mul((Tensor) a[2]).sum());
    };

    static HostArray f32(double... v) { return HostArray.fromDoubles(Spec.of(DType.F32, v.length).tensorType(), v); }

    /** {@code steps} AdamW steps on constant gradient g from p0, in doubles. */
    static double[] oracle(double[] p0, double[] g, int steps, boolean decays) {
        double[] p = p0.clone(), m = new double[p.length], v = new double[p.length];
        for (int t = 1; t <= steps; t++) {
            for (int i = 0; i < p.length; i++) {
                m[i] = B1 * m[i] + (1 - B1) * g[i];
                v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
                double mhat = m[i] / (1 - Math.pow(B1, t)), vhat = v[i] / (1 - Math.pow(B2, t));
                p[i] -= LR * (mhat / (Math.sqrt(vhat) + EPS) + (decays ? WD * p[i] : 0));
            }
        }
        return p;
    }

    static Map<String, HostArray> run(AdamW opt, int steps) {
        TrainStep.Runner r = new TrainStep.Runner("step", LOSS, opt, Map.of("lin.b", f32(B0), "lin.w", f32(W0)));
        for (int i = 0; i < steps; i++) r.step(f32(GB), f32(GW));
        return r.paramsMap();
    }

    @Test
    void biasesSkipTheDecayWhenMaskedAndTakeItByDefault() {
        AdamW base = new AdamW(LR, B1, B2, EPS, WD);
        Predicate<String> notBias = name -> !name.endsWith(".b");
        Map<String, HostArray> masked = run(base.withDecayMask(notBias), 3), all = run(base, 3);
        assertThat(masked.get("lin.b").toDoubleArray()).usingComparatorWithPrecision(TOL).containsExactly(oracle(B0, GB, 3, false));
        assertThat(masked.get("lin.w").toDoubleArray()).usingComparatorWithPrecision(TOL).containsExactly(oracle(W0, GW, 3, true));
        assertThat(all.get("lin.b").toDoubleArray()).usingComparatorWithPrecision(TOL).containsExactly(oracle(B0, GB, 3, true));
        assertThat(all.get("lin.w").toDoubleArray()).usingComparatorWithPrecision(TOL).containsExactly(oracle(W0, GW, 3, true));
        // The decay is large enough here that masking changes the bias visibly.
        assertThat(Math.abs(oracle(B0, GB, 3, false)[1] - oracle(B0, GB, 3, true)[1])).isGreaterThan(0.05);
    }

    @Test
    void theMaskSeesEveryLeafPath() {
        java.util.List<String> seen = new java.util.ArrayList<>();
        run(new AdamW(LR, B1, B2, EPS, WD).withDecayMask(n -> { seen.add(n); return true; }), 1);
        assertThat(seen).containsExactly("lin.b", "lin.w");
    }
}
