package io.hlo4j.dsltest.moe;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Expert-choice routing leaves slots unused (a token fewer experts picked than it has slots). moe-semantics.md says
 * the three methods compute the same function, so an unused slot is combined by none of them whatever before_combine
 * does to its weight, and a row-normalising hook (0/0 on FUSED's and STANDARD's zero rows of unused slots) leaves
 * no NaN in the output or the gradients. Oracle: the methods against each other (FUSED drops unused slots by its
 * group sizes) and the plain layer (the hooks change the output).
 */
class MoeUnusedSlotHooksTest {
    static final MoeConfig CFG = MoeConfig.of(4, 2, 8, 8).withRoutingStrategy(MoeRoutingStrategy.EXPERT_CHOICE);
    static final HostArray[] ARGS;
    static {
        Random rnd = new Random(5);
        ARGS = new HostArray[] {f32(rnd, 1.0, 2, 8, 8), f32(rnd, 1.0, 8, 4), f32(rnd, 0.5, 4, 8, 8), f32(rnd, 0.5, 4, 8, 8), f32(rnd, 0.5, 4, 8, 8),
                f32(rnd, 1.0, 2, 8, 8)};
    }

    static HostArray f32(Random rnd, double scale, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextGaussian() * scale;
        return HostArray.fromDoubles(TensorType.of(FloatType.F32, shape), v);
    }

    static MoeOutput layer(MoEMethods m, MoeFusedHooks<Tensor> hooks, Object[] a) {
        return new BaseMoeModule(CFG.withMoeMethod(m), hooks).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]),
                new ExpertWeights((Tensor) a[2], (Tensor) a[3], (Tensor) a[4], null, null, null), true);
    }

    /** The output [2, 8, 8], d/dx and d/dwd of sum(output * ct), and the selected experts. */
    static List<HostArray> run(MoEMethods m, MoeFusedHooks<Tensor> hooks) {
        HostArray out = Jit.jit("out", a -> layer(m, hooks, a).output()).call1(Arrays.copyOf(ARGS, 5, Object[].class));
        HostArray sel = Jit.jit("sel", a -> layer(m, hooks, a).metrics().orElseThrow().selectedExperts()).call1(Arrays.copyOf(ARGS, 5, Object[].class));
        Object g = Jit.jit("grad", Grad.grad(a -> Reductions.sum(Ops.mul(layer(m, hooks, a).output(), (Tensor) a[5]), 0, 1, 2), 0, 4))
                .call((Object[]) ARGS);
        List<HostArray> gs = ((List<?>) g).stream().map(HostArray.class::cast).toList();
        return List.of(out, gs.get(0), gs.get(1), sel);
    }

    static final MoeFusedHooks<Tensor> LIFT = MoeFusedHooks.<Tensor>none()
            .withBeforeCombine((y, w) -> new MoeFusedHooks.CombineInputs<>(y.add(0.3), w.add(0.2)));
    static final MoeFusedHooks<Tensor> NORM = MoeFusedHooks.<Tensor>none()
            .withBeforeCombine((y, w) -> new MoeFusedHooks.CombineInputs<>(y.div(Ops.sqrt(Reductions.sum(y.mul(y), true, y.rank() - 1))
                    .broadcastTo(y.dims())), w))
            .withAfterWo(y -> y.div(Ops.sqrt(Reductions.sum(y.mul(y), true, 1)).broadcastTo(y.dims())));

    static void assertClose(String what, HostArray got, HostArray want) {
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        double scale = 1e-6;
        for (double v : w) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < w.length; i++) {
            assertThat(Double.isFinite(g[i])).as(what + " element " + i + " is finite").isTrue();
            assertThat(Math.abs(g[i] - w[i]) / scale).as(what + " element " + i + ": " + g[i] + " vs " + w[i]).isLessThanOrEqualTo(1e-5);
        }
    }

    @Test
    void theMethodsAgreeWithHooksOnUnusedSlots() {
        for (MoeFusedHooks<Tensor> hooks : List.of(LIFT, NORM)) {
            List<HostArray> fused = run(MoEMethods.FUSED_MOE, hooks);
            assertThat(fused.get(3).toLongArray()).as("expert choice leaves some slot unused").contains(-1L);
            String[] what = {"output", "d/dx", "d/dwd"};
            for (MoEMethods m : List.of(MoEMethods.STANDARD_MOE, MoEMethods.DENSE_MOE)) {
                List<HostArray> got = run(m, hooks);
                for (int i = 0; i < 3; i++) assertClose(hooks + " " + m + " " + what[i] + " vs FUSED", got.get(i), fused.get(i));
            }
            for (int i = 0; i < 3; i++) for (double v : fused.get(i).toDoubleArray()) assertThat(Double.isFinite(v)).as(hooks + " FUSED " + what[i]).isTrue();
            double[] plain = run(MoEMethods.FUSED_MOE, MoeFusedHooks.none()).get(0).toDoubleArray(), with = fused.get(0).toDoubleArray();
            double diff = 0;
            for (int i = 0; i < plain.length; i++) diff = Math.max(diff, Math.abs(plain[i] - with[i]));
            assertThat(diff).as(hooks + " changes the output").isGreaterThan(1e-2);
        }
    }
}
