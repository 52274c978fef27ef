package io.hlo4j.dsltest;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.nn.Params;
import io.hlo4j.dsl.optim.Sgd;
import io.hlo4j.dsl.optim.TrainStep;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Params.of(Object), Jit.callMap/callList and Runner.paramsMap: no unchecked casts, refusals by name. */
class TypedAccessorsTest {
    static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }

    static HostArray f32(double... v) { return HostArray.fromDoubles(Spec.of(DType.F32, v.length).tensorType(), v); }

    /** sum(w^2 * x) + sum(b): d/dw = 2 w x, d/db = 1. */
    static final TracedFunction LOSS = a -> {
        Params p = Params.of(a[0]);
        return Ops.square(p.get("w")).mul((Tensor) a[1]).sum().add(p.get("b").sum());
    };

    static Map<String, HostArray> params() {
        Map<String, HostArray> p = new LinkedHashMap<>();
        p.put("w", f32(1, -2, 3));
        p.put("b", f32(0.5, 0.25));
        return p;
    }

    @Test
    void callMapGivesTheGradientAsAStateDict() {
        Map<String, HostArray> g = Jit.jit("g", Grad.grad(LOSS, 0)).callMap(params(), f32(4, 5, -1));
        assertThat(g.keySet()).containsExactlyInAnyOrder("w", "b");
        assertThat(g.get("w").toDoubleArray()).containsExactly(2 * 1 * 4, 2 * -2 * 5, 2 * 3 * -1);
        assertThat(g.get("b").toDoubleArray()).containsExactly(1, 1);
        // loss = 1*4 + 4*5 + 9*(-1) + 0.75 = 15.75
        assertThat(Jit.jit("loss", LOSS).call1(params(), f32(4, 5, -1)).getDouble(0)).isEqualTo(15.75);
    }

    @Test
    void callListGivesEveryOutput() {
        List<HostArray> r = Jit.jit2((a, b) -> List.of(a.add(b), a.mul(b))).callList(f32(1, 2), f32(3, -4));
        assertThat(r).hasSize(2);
        assertThat(r.get(0).toDoubleArray()).containsExactly(4, -2);
        assertThat(r.get(1).toDoubleArray()).containsExactly(3, -8);
    }

    @Test
    void runnerParamsMapIsTheUpdatedStateDict() {
        TrainStep.Runner run = new TrainStep.Runner("step", LOSS, Sgd.of(0.1, 0), params());
        double loss = run.step(f32(4, 5, -1));
        assertThat(loss).isEqualTo(15.75);
        Map<String, HostArray> p1 = run.paramsMap();
        // w - 0.1 * 2 w x, b - 0.1
        assertThat(p1.get("w").toDoubleArray()).usingComparatorWithPrecision(1e-6).containsExactly(1 - 0.8, -2 + 2.0, 3 + 0.6);
        assertThat(p1.get("b").toDoubleArray()).usingComparatorWithPrecision(1e-6).containsExactly(0.4, 0.15);
        assertThat(p1).isEqualTo(run.params());
    }

    @Test
    void refusalsNameTheAccessorWhatItGotAndTheUsersLine() {
        Jit notAMap = Jit.jit1(x -> Params.of((Object) x).get("w")); int l1 = line();
        assertThatThrownBy(() -> notAMap.call1(f32(1, 2)))
                .hasMessageContaining("Params.of").hasMessageContaining("one tensor f32[2]")
                .hasMessageContaining("TypedAccessorsTest.java:" + l1);
        Jit one = Jit.jit1(x -> x.neg());
        int l2 = line(); assertThatThrownBy(() -> one.callMap(f32(1, 2)))
                .hasMessageContaining("Jit.callMap @main").hasMessageContaining("one array tensor<2xf32>")
                .hasMessageContaining("TypedAccessorsTest.java:" + l2);
        assertThatThrownBy(() -> Jit.jit2((a, b) -> List.of(a, List.of(b))).callList(f32(1), f32(2)))
                .hasMessageContaining("Jit.callList").hasMessageContaining("item #1 is a list of 1");
        TrainStep.Runner listParams = new TrainStep.Runner("s", a -> Ops.square(((List<?>) a[0]).get(0) instanceof Tensor t ? t : null).sum(),
                Sgd.of(0.1, 0), List.of(f32(1, 2)));
        assertThatThrownBy(listParams::paramsMap).hasMessageContaining("TrainStep.Runner.paramsMap").hasMessageContaining("got a list of 1");
    }
}
