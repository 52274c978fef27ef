package io.hlo4j.dsltest.moejourney;

import static io.hlo4j.dsltest.moejourney.MoeJourney.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Lowered;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.nn.Params;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.backend.Backend;
import io.hlo4j.runtime.backend.Executable;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Day five: training. A MoE layer (8 tokens, E = 4, k = 2, H = 4, M = 6, biases) regresses the output of a teacher
 * layer with other weights; the objective is mean squared error + the STANDARD load-balancing loss + the z-loss, and
 * AdamW (docs/dsl.md, Optimisers) takes 25 steps through {@link TrainStep.Runner}. Oracles: the first update written
 * out by hand from the gradient, the objective written from the layer's parts, the loss falling, and the train step's
 * StableHLO dumped with locations, parsed back and run for the same 25 steps giving every loss and every final
 * parameter bit for bit.
 */
class TrainingJourneyTest {
    static final MoeConfig CFG = MoeConfig.of(4, 2, 4, 6).withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 0.01).withRouterZLoss(0.001);
    static final double LR = 0.03, WD = 0.01;
    static final int STEPS = 25;

    static final TracedFunction LOSS = a -> {
        Params p = Params.of(a[0]);
        ExpertWeights w = new ExpertWeights(p.get("wi"), p.get("wu"), p.get("wd"), p.get("wi_bias"), p.get("wu_bias"), p.get("wd_bias"));
        MoeOutput o = new BaseMoeModule(CFG, MoeFusedHooks.none()).moeCall((Tensor) a[1], BaseMoeModule.linearGate(p.get("gate")), w, true);
        MoeMetrics<Tensor> m = o.metrics().orElseThrow();
        Tensor mse = Ops.square(o.output().sub((Tensor) a[2])).mean();
        return mse.add(m.loadBalancingLoss().orElseThrow()).add(m.routerZLoss().orElseThrow());
    };

    static Map<String, HostArray> params(MoeOracle.Inputs in) {
        List<HostArray> a = args(in, DType.F32);
        Map<String, HostArray> p = new TreeMap<>();
        String[] names = {"x", "gate", "wi", "wu", "wd", "wi_bias", "wu_bias", "wd_bias"};
        for (int i = 1; i < names.length; i++) p.put(names[i], a.get(i));
        return p;
    }

    @Test
    void adamwLowersTheObjectiveAndTheDumpedStepReplaysBitForBit() throws Exception {
        MoeOracle.Inputs student = random(61, 2, 4, 4, 4, 6, true), teacher = random(62, 2, 4, 4, 4, 6, true);
        Map<String, HostArray> p0 = params(student);
        HostArray x = args(student, DType.F32).get(0);
        HostArray y = array(DType.F32, flat(MoeOracle.run(CFG, new MoeOracle.Inputs(2, 4, 4, 4, 6, student.x(), teacher.gate(), teacher.wi(),
                teacher.wu(), teacher.wd(), teacher.wiB(), teacher.wuB(), teacher.wdB()), null).out()), 2, 4, 4);

        // the objective from its parts: the oracle's output, losses for the student
        MoeOracle.Result s = MoeOracle.run(CFG, student, null);
        double mse = 0;
        double[] out = flat(s.out()), target = y.toDoubleArray();
        for (int i = 0; i < out.length; i++) mse += (out[i] - target[i]) * (out[i] - target[i]) / out.length;
        double objective0 = mse + s.lbl() + s.z();

        AdamW opt = new AdamW(LR, 0.9, 0.999, 1e-8, WD);
        TrainStep.Runner run = new TrainStep.Runner("moe_train", LOSS, opt, p0);
        Object state0 = run.state();
        List<Double> losses = new ArrayList<>();
        losses.add(run.step(x, y));
        Map<String, HostArray> p1 = run.paramsMap();
        for (int i = 1; i < STEPS; i++) losses.add(run.step(x, y));
        assertThat(losses.get(0)).as("first loss = mse + lbl + z from the loops").isCloseTo(objective0, org.assertj.core.data.Offset.offset(1e-5 * objective0));

        // the first AdamW step by hand: m_hat = g, v_hat = g^2, so p1 = p0 - lr (g / (|g| + eps) + wd p0)
        Map<String, HostArray> g = Jit.jit("grad", Grad.grad(LOSS, 0)).callMap(p0, x, y);
        assertThat(g.keySet()).isEqualTo(p0.keySet());
        for (String name : p0.keySet()) {
            double[] w0 = p0.get(name).toDoubleArray(), gv = g.get(name).toDoubleArray(), w1 = p1.get(name).toDoubleArray();
            assertThat(java.util.Arrays.stream(gv).map(Math::abs).max().orElseThrow()).as("d loss / d %s is not zero", name).isGreaterThan(1e-4);
            for (int i = 0; i < w0.length; i++) {
                double want = w0[i] - LR * (gv[i] / (Math.abs(gv[i]) + 1e-8) + WD * w0[i]);
                double tol = Math.abs(gv[i]) < 1e-6 ? LR / 10 : 1e-6;
                assertThat(w1[i]).as("%s[%d] after one step (g = %s)", name, i, gv[i]).isCloseTo(want, org.assertj.core.data.Offset.offset(tol));
            }
        }
        double last = losses.get(STEPS - 1);
        assertThat(last).as("objective after %d steps: %s", STEPS, losses).isLessThan(0.6 * losses.get(0));
        int downs = 0;
        for (int i = 1; i < STEPS; i++) if (losses.get(i) < losses.get(i - 1)) downs++;
        assertThat(downs).as("steps that lowered the objective: %s", losses).isGreaterThanOrEqualTo(STEPS * 3 / 4);

        // the train step dumped, parsed back and replayed from p0 on the interpreter: every loss and the final parameters bit for bit
        Lowered lowered = run.jit().lower(p0, state0, x, y);
        String dump = lowered.asTextWithLocations();
        assertThat(dump).contains("TrainingJourneyTest.java").contains("stablehlo.sort");
        Module parsed = MlirParser.parseModule(dump, "moe_train.mlir");
        Executable exe = Backend.interpreter().compile(parsed);
        List<Object> leaves = new ArrayList<>();
        Pytree.flatten(List.of(p0, state0), leaves);
        int carried = leaves.size();
        List<HostArray> in = new ArrayList<>();
        for (Object o : leaves) in.add((HostArray) o);
        for (int i = 0; i < STEPS; i++) {
            List<HostArray> callArgs = new ArrayList<>(in);
            callArgs.add(x);
            callArgs.add(y);
            List<HostArray> r = exe.call(callArgs);
            assertThat(r).hasSize(1 + carried);
            assertThat(r.get(0).getDouble(0)).as("replayed loss of step %d", i).isEqualTo(losses.get(i));
            in = new ArrayList<>(r.subList(1, r.size()));
        }
        List<Object> finalLeaves = new ArrayList<>();
        Pytree.flatten(List.of(run.params(), run.state()), finalLeaves);
        for (int i = 0; i < carried; i++) {
            assertThat(in.get(i).firstBitDifference((HostArray) finalLeaves.get(i))).as("replayed parameter/state leaf %d", i).isEqualTo(-1);
        }
    }
}
