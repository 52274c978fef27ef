package io.hlo4j.dsltest.optim;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.optim.AdamW;
import io.hlo4j.dsl.optim.Optimizer;
import io.hlo4j.dsl.optim.Sgd;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.SimulatedRun;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code Optimizer.stateShardings}: the state's shardings shaped like {@code init}'s state, so that a sharded train step
 * takes and returns the optimiser state with its moments split like their parameters. The oracle is the unsharded
 * {@link TrainStep.Runner}: the same steps on 4 simulated devices give the same losses and parameters.
 */
class OptimizerStateShardingsTest {
    static final Mesh MESH = Mesh.of(4, List.of("dp", "tp"), 2, 2);

    /** w f32 [4, 6] split (dp, tp), b bf16 [6] (an f32 master in the state) split over tp, s f32 [6] unannotated. */
    static Map<String, HostArray> params() {
        Map<String, HostArray> p = new TreeMap<>();
        double[] w = new double[24];
        for (int i = 0; i < w.length; i++) w[i] = Math.sin(i + 1);
        p.put("w", HostArray.fromDoubles(Spec.of(DType.F32, 4, 6).tensorType(), w));
        p.put("b", HostArray.fromDoubles(Spec.of(DType.BF16, 6).tensorType(), 0.5, -0.25, 0, 0.125, 1, -1));
        p.put("s", HostArray.fromDoubles(Spec.of(DType.F32, 6).tensorType(), 1, 1, 1, 1, 1, 1));
        return p;
    }

    static Map<String, NamedSharding> shardings() {
        Map<String, NamedSharding> s = new TreeMap<>();
        s.put("w", NamedSharding.of(MESH, "dp", "tp"));
        s.put("b", NamedSharding.of(MESH, "tp"));
        s.put("s", null);
        return s;
    }

    /** mean((x w + b) * s - 1)^2 over x [8, 4]. */
    @SuppressWarnings("unchecked")
    static final TracedFunction LOSS = a -> {
        Map<String, Tensor> p = (Map<String, Tensor>) a[0];
        Tensor y = ((Tensor) a[1]).matmul(p.get("w")).add(p.get("b").astype(DType.F32)).mul(p.get("s"));
        return Ops.square(y.sub(1.0)).mean();
    };

    static HostArray x() {
        double[] v = new double[32];
        for (int i = 0; i < v.length; i++) v[i] = Math.cos(0.7 * i);
        return HostArray.fromDoubles(Spec.of(DType.F32, 8, 4).tensorType(), v);
    }

    @Test
    @SuppressWarnings("unchecked")
    void adamwStateShardingsFollowTheStateLayout() {
        NamedSharding rep = NamedSharding.of(MESH);
        AdamW.State s = new AdamW(0.01, 0.9, 0.999, 1e-8, 0.01).stateShardings(params(), shardings(), rep);
        List<NamedSharding> leaves = Arrays.asList(shardings().get("b"), shardings().get("s"), shardings().get("w"));
        assertThat(s.count()).isSameAs(rep);
        assertThat(s.mu()).isEqualTo(leaves);
        assertThat(s.nu()).isEqualTo(leaves);
        // only the bf16 leaf has an f32 master, so only it has a sharding there
        assertThat((List<Object>) s.master()).containsExactly((Object) shardings().get("b"), List.of(), List.of());
        // the same number of leaves as the state init gives, leaf for leaf
        assertThat(ShardedJit.flat(s)).hasSize(io.hlo4j.dsl.Pytree.leaves(AdamW.of(0.01).init(params())).size());
    }

    @Test
    void sgdVelocityIsShapedLikeTheParameters() {
        Sgd.State s = Sgd.of(0.1, 0.9).stateShardings(params(), shardings(), NamedSharding.of(MESH));
        assertThat(s.velocity()).isEqualTo(shardings());
        assertThat(ShardedJit.flat(s)).hasSize(io.hlo4j.dsl.Pytree.leaves(Sgd.of(0.1, 0.9).init(params())).size());
    }

    @Test
    void aShardingTreeOfAnotherShapeIsRefusedWithBothCounts() {
        Map<String, NamedSharding> two = new TreeMap<>(shardings());
        two.remove("s");
        assertThatThrownBy(() -> AdamW.of(0.01).stateShardings(params(), two, null))
                .isInstanceOf(DslException.class)
                .hasMessageContaining("2 parameter shardings for 3 parameter leaves");
    }

    /**
     * A mistyped key with the same number of leaves would be matched by position (a parameter given its neighbour's
     * sharding): the paths are compared and the first that differs is named.
     */
    @Test
    void aMistypedKeyWithTheSameLeafCountIsRefusedByName() {
        Map<String, NamedSharding> typo = new TreeMap<>(shardings());
        typo.remove("s");
        typo.put("a", NamedSharding.of(MESH, "tp"));
        // params b, s, w against shardings a, b, w: leaf #0 differs
        assertThatThrownBy(() -> AdamW.of(0.01).stateShardings(params(), typo, null))
                .isInstanceOf(DslException.class)
                .hasMessageContaining("parameter leaf #0 is 'b' but the sharding tree has 'a' there");
        Map<String, NamedSharding> typo2 = new TreeMap<>(shardings());
        typo2.remove("s");
        typo2.put("t", null); // null is a leaf too: b, t, w against b, s, w
        assertThatThrownBy(() -> Sgd.of(0.1, 0.9).stateShardings(params(), typo2, null))
                .isInstanceOf(DslException.class)
                .hasMessageContaining("parameter leaf #1 is 's' but the sharding tree has 't' there");
    }

    /** Three sharded AdamW (and SGD) steps on 4 simulated devices equal the unsharded runner's, losses and parameters. */
    @Test
    @SuppressWarnings("unchecked")
    void shardedTrainStepsEqualTheUnshardedRunner() {
        for (Optimizer opt : List.<Optimizer>of(AdamW.of(0.05), Sgd.of(0.05, 0.9))) {
            TrainStep.Runner want = new TrainStep.Runner("step", LOSS, opt, params());
            Map<String, NamedSharding> ps = shardings();
            Object stateShardings = opt.stateShardings(params(), ps, NamedSharding.of(MESH));
            NamedSharding data = NamedSharding.of(MESH, "dp", null);
            ShardedJit step = ShardedJit.jit("step", TrainStep.of(LOSS, opt), ShardedJit.flat(ps, stateShardings, data),
                    ShardedJit.flat(NamedSharding.of(MESH), ps, stateShardings));
            Object p = params(), st = opt.init(p);
            List<Double> losses = new ArrayList<>(), wantLosses = new ArrayList<>();
            SimulatedRun run = null;
            for (int i = 0; i < 3; i++) {
                run = step.callSimulated(p, st, x());
                List<?> r = (List<?>) run.results();
                losses.add(((HostArray) r.get(0)).getDouble(0));
                p = r.get(1);
                st = r.get(2);
                wantLosses.add(want.step(x()));
            }
            for (int i = 0; i < 3; i++) assertThat(losses.get(i)).as("%s step %d", opt, i).isCloseTo(wantLosses.get(i), org.assertj.core.api.Assertions.within(1e-5 * Math.abs(wantLosses.get(i))));
            assertThat(wantLosses.get(2)).isLessThan(wantLosses.get(0));
            Map<String, HostArray> got = (Map<String, HostArray>) p;
            // bf16 b: one ulp (1/128 near 1) if a sum's order rounds it the other way
            want.paramsMap().forEach((name, w) -> {
                double[] a = got.get(name).toDoubleArray(), b = w.toDoubleArray();
                for (int i = 0; i < a.length; i++) assertThat(a[i]).as("%s %s[%d]", opt, name, i).isCloseTo(b[i], org.assertj.core.api.Assertions.within(name.equals("b") ? 1e-2 : 1e-5));
            });
            // the per-device program holds w's moments split 2 x 2: [2, 3] blocks of [4, 6] (AdamW: mu and nu; SGD: velocity)
            long blocks = run.program().module().entryFunction().region(0).entry().arguments().stream()
                    .filter(v -> v.type().toString().equals("tensor<2x3xf32>")).count();
            assertThat(blocks).as("%s: w and its per-parameter state as [2, 3] blocks", opt).isEqualTo(opt instanceof AdamW ? 3 : 2);
        }
    }
}
