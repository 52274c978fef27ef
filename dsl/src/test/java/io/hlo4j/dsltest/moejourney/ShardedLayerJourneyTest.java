package io.hlo4j.dsltest.moejourney;

import static io.hlo4j.dsltest.moejourney.MoeJourney.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.moe.MoeSpecs;
import io.hlo4j.dsl.moe.ep.EpMode;
import io.hlo4j.dsl.moe.ep.ExpertParallelMoe;
import io.hlo4j.dsl.shard.ExpertMeshView;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Day four: the layer on 8 simulated devices, as docs/moe.md ("On several (simulated) devices") and
 * docs/moe-expert-parallelism.md show, against the same layer on one device (itself checked against
 * {@link MoeOracle}). 16 tokens (B = 4, S = 4), E = 8, k = 2, H = 8, M = 8, with biases and both losses.
 * <ul>
 *   <li>annotated on the 5D model mesh (dp = 1, fsdp = 2, ep = 2, tp = 2): x over (dp, fsdp), the experts by
 *       {@link MoeSpecs}, every method, partitioned by hlo4j's partitioner and run by {@code callSimulated}:
 *       output, logits, loads and both losses;</li>
 *   <li>FUSED expert parallel on the expert mesh view of two 8-device model meshes, every mode the token count allows:
 *       output, logits and loads, and the gradients of sum(output * C) against Grad of the one-device layer.</li>
 * </ul>
 */
class ShardedLayerJourneyTest {
    static final MoeOracle.Inputs IN = random(53, 4, 4, 8, 8, 8, true);
    static final MoeConfig CFG = MoeConfig.of(8, 2, 8, 8).withLoadBalancing(MoeLoadBalancingStrategy.SWITCH_TRANSFORMER, 0.1).withRouterZLoss(0.01);

    static TracedFunction layerList(MoeConfig cfg) {
        return a -> {
            MoeOutput o = call(cfg, MoeFusedHooks.none(), a, true);
            MoeMetrics<Tensor> m = o.metrics().orElseThrow();
            return List.of(o.output(), o.routerLogits(), m.expertLoads(), m.loadBalancingLoss().orElseThrow(), m.routerZLoss().orElseThrow());
        };
    }

    @Test
    void annotatedOnTheModelMeshEqualsOneDevice() {
        Object[] xs = args(IN, DType.F32).toArray();
        Map<String, HostArray> one = MoeJourney.run(CFG, MoeFusedHooks.none(), IN, DType.F32);
        assertMatches("one device", one, MoeOracle.run(CFG, IN, null), 2e-6);
        Mesh mesh = ExpertMeshView.modelMesh(1, 2, 2, 2, 1);
        NamedSharding column = new NamedSharding(mesh, MoeSpecs.getMoeSpec(MoeSpecs.Direction.COLUMN, false, false));
        NamedSharding row = new NamedSharding(mesh, MoeSpecs.getMoeSpec(MoeSpecs.Direction.ROW, false, false));
        NamedSharding bias = new NamedSharding(mesh, MoeSpecs.getMoeSpec(MoeSpecs.Direction.COLUMN, false, true));
        List<NamedSharding> in = java.util.Arrays.asList(NamedSharding.of(mesh, new String[] {"dp", "fsdp"}, "sp", null), null,
                column, column, row, bias, bias, bias);
        for (MoEMethods m : MoEMethods.values()) {
            SimulatedRun run = ShardedJit.jit("moe", layerList(CFG.withMoeMethod(m)), in, Collections.nCopies(5, null)).callSimulated(xs);
            @SuppressWarnings("unchecked") List<HostArray> got = (List<HostArray>) run.results();
            assertThat(run.program().devices()).isEqualTo(8);
            assertClose(m + " output on 8 devices", got.get(0).toDoubleArray(), one.get("output").toDoubleArray(), 1e-6);
            assertClose(m + " logits on 8 devices", got.get(1).toDoubleArray(), one.get("router_logits").toDoubleArray(), 1e-6);
            assertThat(got.get(2).toLongArray()).as(m + " loads on 8 devices").containsExactly(one.get("expert_loads").toLongArray());
            assertClose(m + " lbl on 8 devices", new double[] {got.get(3).getDouble(0)}, new double[] {one.get("load_balancing_loss").getDouble(0)}, 1e-6);
            assertClose(m + " z-loss on 8 devices", new double[] {got.get(4).getDouble(0)}, new double[] {one.get("router_z_loss").getDouble(0)}, 1e-6);
            assertThat(run.run().log()).as(m + ": the program communicates").isNotEmpty();
        }
    }

    @Test
    void expertParallelOnTheExpertMeshEqualsOneDeviceForwardAndBackward() {
        List<HostArray> a = args(IN, DType.F32);
        Map<String, HostArray> one = MoeJourney.run(CFG, MoeFusedHooks.none(), IN, DType.F32);
        double[] cot = gauss(new java.util.Random(9), 16 * 8, 1.0);
        HostArray c = array(DType.F32, cot, 4, 4, 8);
        TracedFunction fit = x -> {
            Tensor y = call(CFG, MoeFusedHooks.none(), x, false).output();
            return Reductions.sum(Ops.mul(y, (Tensor) x[8]));
        };
        List<Object> ga = new ArrayList<>(a);
        ga.add(c);
        List<HostArray> want = Jit.jit("g", Grad.grad(fit, 0, 1, 2, 3, 4, 5, 6, 7)).lower(ga.toArray()).compile().call(ga.toArray(HostArray[]::new));
        int runs = 0;
        for (Mesh model : List.of(ExpertMeshView.modelMesh(1, 2, 2, 2, 1), ExpertMeshView.modelMesh(2, 1, 2, 1, 2))) {
            ExpertMeshView view = ExpertMeshView.of(model);
            for (EpMode mode : new ExpertParallelMoe(CFG, view, EpMode.AUTO).allowed(16)) {
                ExpertParallelMoe ep = new ExpertParallelMoe(CFG, view, mode);
                String what = model.describe() + " " + mode;
                ExpertParallelMoe.Result r = ep.run(a.get(0), null, 4, a.get(1), a.get(2), a.get(3), a.get(4), a.get(5), a.get(6), a.get(7));
                assertThat(r.mode()).isEqualTo(mode);
                assertClose(what + " output", r.output().toDoubleArray(), one.get("output").toDoubleArray(), 1e-6);
                assertClose(what + " logits", r.routerLogits().toDoubleArray(), one.get("router_logits").toDoubleArray(), 1e-6);
                assertThat(r.expertLoads().toLongArray()).as(what + " loads").containsExactly(one.get("expert_loads").toLongArray());
                List<HostArray> g = ep.gradients(a.get(0), null, 4, a.get(1), a.get(2), a.get(3), a.get(4), a.get(5), a.get(6), a.get(7), c);
                assertThat(g).hasSize(8);
                for (int i = 0; i < 8; i++) {
                    assertClose(what + " gradient " + ExecutionMethodsJourneyTest.NAMES[i], g.get(i).toDoubleArray(), want.get(i).toDoubleArray(), 1e-5);
                }
                runs++;
            }
        }
        assertThat(runs).as("REPLICATED, TOKEN_SHARDED and RING on both meshes").isEqualTo(6);
    }
}
