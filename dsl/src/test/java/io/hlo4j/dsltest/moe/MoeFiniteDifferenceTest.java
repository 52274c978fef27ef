package io.hlo4j.dsltest.moe;

import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reverse-mode gradients of the whole MoE layer against central finite differences in f64, on every fixture case of
 * the grid (every routing and load-balancing strategy, k, E, biases, activations, ties), for all three methods.
 *
 * <p>The loss is sum(output^2) plus the load-balancing and router z-losses where the case computes them, so the gate
 * kernel gets gradient through the probabilities too. Each check is a directional derivative: for a random
 * direction v, {@code <grad, v>} against {@code (L(p + eps v) - L(p - eps v)) / (2 eps)}. FUSED is checked along
 * one direction per argument (hidden state, gate, wi, wu, wd and each bias), STANDARD and DENSE along one direction
 * moving every argument at once. Routing is piecewise constant: a direction that changes the selected experts
 * between p - eps v and p + eps v (which happens at the grid's deliberate score ties) straddles a discontinuity and
 * is skipped, never counted as a pass; the expert weights never change routing, so every case is checked at least
 * along those, and the share of skipped checks is bounded. ReLU kinks are the other non-smooth points: the step
 * shrinks (1e-4, then by 4x) until two successive central differences agree within the tolerance plus their
 * rounding noise (256 ulp of the loss over the step), and that difference is compared, with the same allowance.
 */
class MoeFiniteDifferenceTest {
    private static final double EPS = 1e-4;
    private static final double TOL = 1e-6;
    private static final List<String> DIFFERENTIABLE = List.of("x", "gate", "wi", "wu", "wd", "wi_bias", "wu_bias", "wd_bias");

    static List<String> cases() throws java.io.IOException { return MoeCase.names(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchCentralDifferencesInF64(String name) {
        MoeCase c = MoeCase.load(name);
        List<String> args = c.args(MoEMethods.FUSED_MOE);
        HostArray[] argv = args.stream().map(a -> toF64(c.inputs().get(a))).toArray(HostArray[]::new);
        int[] diff = java.util.stream.IntStream.range(0, args.size()).filter(i -> DIFFERENTIABLE.contains(args.get(i))).toArray();
        Random rnd = new Random(name.hashCode());
        int checked = 0, skipped = 0;
        for (MoEMethods method : MoEMethods.values()) {
            MoeConfig cfg = c.config().withDtype(MoeDtype.FLOAT64).withMoeMethod(method);
            Compiled forward = Jit.jit(lossAndExperts(cfg, args)).lower((Object[]) argv).compile();
            List<HostArray> grads = Jit.jit(Grad.grad(a -> ((List<?>) lossAndExperts(cfg, args).apply(a)).get(0), diff)).lower((Object[]) argv).compile().call(argv);
            List<HostArray> base = forward.call(argv);
            List<int[]> directions = new ArrayList<>();
            if (method == MoEMethods.FUSED_MOE) for (int d : diff) directions.add(new int[] {d});
            else directions.add(diff);
            for (int[] moved : directions) {
                double predicted = 0;
                double[][] dir = new double[args.size()][];
                for (int a : moved) {
                    double[] v = new double[(int) argv[a].size()];
                    for (int i = 0; i < v.length; i++) v[i] = rnd.nextGaussian();
                    double[] g = grads.get(indexOf(diff, a)).toDoubleArray();
                    for (int i = 0; i < v.length; i++) predicted += g[i] * v[i];
                    dir[a] = v;
                }
                String what = name + " " + method + " along " + Arrays.stream(moved).mapToObj(args::get).toList();
                // Shrink the step until two successive central differences agree: a ReLU kink (or any other
                // non-smooth point) within the step shows up as a disagreement and drops out at a smaller step.
                Double fd = null;
                boolean routingChanged = false;
                double prev = Double.NaN, prevNoise = 0;
                for (double eps = EPS; eps >= EPS / 1024; eps /= 4) {
                    List<HostArray> lp = forward.call(step(argv, dir, eps)), lm = forward.call(step(argv, dir, -eps));
                    if (!Arrays.equals(lp.get(1).toLongArray(), base.get(1).toLongArray()) || !Arrays.equals(lm.get(1).toLongArray(), base.get(1).toLongArray())) {
                        routingChanged = true;
                        break;
                    }
                    double hi = lp.get(0).toDoubleArray()[0], lo = lm.get(0).toDoubleArray()[0];
                    double cur = (hi - lo) / (2 * eps);
                    // the rounding error of the two loss values, divided by the step
                    double noise = 256 * Math.ulp(Math.max(Math.abs(hi), Math.abs(lo))) / eps;
                    if (!Double.isNaN(prev) && Math.abs(cur - prev) <= TOL * Math.abs(cur) + noise + prevNoise) {
                        fd = cur;
                        prevNoise = noise;
                        break;
                    }
                    prev = cur;
                    prevNoise = noise;
                }
                if (routingChanged) {
                    boolean routingFree = Arrays.stream(moved).allMatch(a -> args.get(a).startsWith("w"));
                    assertThat(routingFree).as(what + ": moving only expert weights changed the routing").isFalse();
                    skipped++;
                    continue;
                }
                assertThat(fd).as(what + ": central differences never settled as the step shrank (non-smooth everywhere near p?)").isNotNull();
                assertThat(Math.abs(predicted - fd)).as("%s: <grad, v> = %s, central difference %s", what, predicted, fd)
                        .isLessThanOrEqualTo(TOL * Math.max(Math.abs(predicted), Math.abs(fd)) + prevNoise);
                checked++;
            }
        }
        assertThat(checked).as(name + ": directions checked (skipped at routing ties: " + skipped + ")").isGreaterThan(skipped);
    }

    /** The arguments moved by {@code eps} along {@code dir} (null entries stay put). */
    private static HostArray[] step(HostArray[] argv, double[][] dir, double eps) {
        HostArray[] out = argv.clone();
        for (int a = 0; a < argv.length; a++) {
            if (dir[a] == null) continue;
            double[] p = argv[a].toDoubleArray();
            for (int i = 0; i < p.length; i++) p[i] += eps * dir[a][i];
            out[a] = HostArray.fromDoubles(argv[a].type(), p);
        }
        return out;
    }

    /** (loss, selected experts) of the layer run in f64 on the named arguments. */
    private static TracedFunction lossAndExperts(MoeConfig cfg, List<String> args) {
        return a -> {
            Map<String, Tensor> t = new java.util.HashMap<>();
            for (int i = 0; i < args.size(); i++) t.put(args.get(i), (Tensor) a[i]);
            ExpertWeights w = new ExpertWeights(t.get("wi"), t.get("wu"), t.get("wd"), t.get("wi_bias"), t.get("wu_bias"), t.get("wd_bias"));
            MoeOutput o = new BaseMoeModule(cfg, MoeFusedHooks.none()).moeCall(t.get("x"), BaseMoeModule.linearGate(t.get("gate")), w,
                    null, null, null, true, 0, t.get("token_ids"));
            MoeMetrics<Tensor> m = o.metrics().orElseThrow();
            Tensor y = o.output();
            Tensor loss = Reductions.sum(Ops.mul(y, y), 0, 1, 2);
            if (m.loadBalancingLoss().isPresent()) loss = Ops.add(loss, m.loadBalancingLoss().get());
            if (m.routerZLoss().isPresent()) loss = Ops.add(loss, m.routerZLoss().get());
            return List.of(loss, m.selectedExperts());
        };
    }

    private static HostArray toF64(HostArray a) {
        if (!(a.elementType() instanceof FloatType)) return a;
        return HostArray.fromDoubles(TensorType.of(FloatType.F64, a.shape()), a.toDoubleArray());
    }

    private static int indexOf(int[] xs, int x) {
        for (int i = 0; i < xs.length; i++) if (xs[i] == x) return i;
        throw new IllegalArgumentException(x + " not in " + Arrays.toString(xs));
    }
}
