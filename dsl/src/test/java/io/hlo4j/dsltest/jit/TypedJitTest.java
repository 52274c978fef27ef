package io.hlo4j.dsltest.jit;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.grad.ValueAndGrad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Jit3;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.hlo4j.dsltest.jit.TypedMlp.BATCH;
import static io.hlo4j.dsltest.jit.TypedMlp.IN;
import static io.hlo4j.dsltest.jit.TypedMlp.OUT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The typed layer ({@code Jit.of}, {@code Grad.gradOf}/{@code valueAndGradOf}) against the {@code Object[]} API it sits on:
 * the same training steps bit for bit, gradients against finite differences, the gradient of a record is that record.
 */
class TypedJitTest {
    static final double LR = 0.1;

    /** One SGD step and its loss, as a record generic in its leaves so that it comes back holding host arrays. */
    record Stepped<T>(T loss, TypedMlp<T> params) {}

    static Tensor sgd(Tensor p, Tensor g) { return p.sub(g.mul(LR)); }

    @Test
    void threeTypedStepsEqualTheObjectArraySteps() {
        Jit3<TypedMlp<Tensor>, Tensor, Tensor, Stepped<Tensor>> typed = Jit.of("step", (TypedMlp<Tensor> p, Tensor x, Tensor y) -> {
            ValueAndGrad<Tensor, TypedMlp<Tensor>> vg = Grad.valueAndGradOf(MlpModel::loss).apply(p, x, y);
            TypedMlp<Tensor> g = vg.grad();
            return new Stepped<>(vg.value(), new TypedMlp<>(sgd(p.w1(), g.w1()), sgd(p.b1(), g.b1()), sgd(p.w2(), g.w2())));
        });
        TracedFunction mapLoss = a -> {
            @SuppressWarnings("unchecked") Map<String, Tensor> p = (Map<String, Tensor>) a[0];
            return MlpModel.mlpLoss(p.get("w1"), p.get("b1"), p.get("w2"), (Tensor) a[1], (Tensor) a[2]);
        };
        Jit untyped = Jit.jit("step", a -> {
            @SuppressWarnings("unchecked") Map<String, Tensor> p = (Map<String, Tensor>) a[0];
            List<?> vg = (List<?>) Grad.valueAndGrad(mapLoss, 0).apply(a);
            @SuppressWarnings("unchecked") Map<String, Tensor> g = (Map<String, Tensor>) vg.get(1);
            return List.of(vg.get(0), Map.of("w1", sgd(p.get("w1"), g.get("w1")), "b1", sgd(p.get("b1"), g.get("b1")),
                    "w2", sgd(p.get("w2"), g.get("w2"))));
        });
        SplittableRandom r = new SplittableRandom(7);
        HostArray x = MlpModel.random(Spec.of(DType.F32, BATCH, IN), r), y = MlpModel.random(Spec.of(DType.F32, BATCH, OUT), r);
        TypedMlp<HostArray> p = MlpModel.params(DType.F32, 1);
        Map<String, HostArray> m = Map.of("w1", p.w1(), "b1", p.b1(), "w2", p.w2());
        List<Double> losses = new ArrayList<>();
        for (int step = 0; step < 3; step++) {
            Stepped<HostArray> s = typed.call(p, x, y, Stepped.class);
            List<?> u = (List<?>) untyped.call(m, x, y);
            assertThat(s.loss()).as("loss at step %d", step).isEqualTo(u.get(0));
            m = Jit.jit(a -> a[0]).callMap(u.get(1));
            p = s.params();
            assertThat(p.getClass()).isEqualTo(TypedMlp.class);
            assertThat(List.of(p.w1(), p.b1(), p.w2())).as("parameters after step %d", step).containsExactly(m.get("w1"), m.get("b1"), m.get("w2"));
            losses.add(s.loss().getDouble(0));
        }
        assertThat(typed.cacheSize()).isEqualTo(1);
        assertThat(losses.get(2)).as("SGD lowers the loss").isLessThan(losses.get(0));
    }

    @Test
    void gradientOfARecordIsThatRecordAndMatchesFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(3);
        HostArray x = MlpModel.random(Spec.of(DType.F64, BATCH, IN), r), y = MlpModel.random(Spec.of(DType.F64, BATCH, OUT), r);
        TypedMlp<HostArray> p = MlpModel.params(DType.F64, 2);
        TypedMlp<HostArray> g = Jit.of(Grad.gradOf(MlpModel::loss)).call(p, x, y, TypedMlp.class);
        assertThat(g.getClass()).isEqualTo(TypedMlp.class);
        var loss = Jit.of(MlpModel::loss);
        double h = 1e-6;
        List<HostArray> leaves = List.of(p.w1(), p.b1(), p.w2()), grads = List.of(g.w1(), g.b1(), g.w2());
        for (int c = 0; c < 3; c++) {
            double[] v = leaves.get(c).toDoubleArray(), got = grads.get(c).toDoubleArray();
            assertThat(grads.get(c).type()).isEqualTo(leaves.get(c).type());
            for (int i = 0; i < v.length; i++) {
                double[] up = v.clone(), down = v.clone();
                up[i] += h;
                down[i] -= h;
                HostArray lu = loss.call(with(p, c, HostArray.fromDoubles(leaves.get(c).type(), up)), x, y, HostArray.class);
                HostArray ld = loss.call(with(p, c, HostArray.fromDoubles(leaves.get(c).type(), down)), x, y, HostArray.class);
                double fd = (lu.getDouble(0) - ld.getDouble(0)) / (2 * h);
                assertThat(got[i]).as("component %d element %d", c, i).isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-7 * Math.max(1, Math.abs(fd))));
            }
        }
        // valueAndGradOf: the same gradient, and the loss
        ValueAndGrad<HostArray, TypedMlp<HostArray>> vg = Jit.of(Grad.valueAndGradOf(MlpModel::loss)).call(p, x, y, ValueAndGrad.class);
        assertThat(vg.value()).isEqualTo(loss.call(p, x, y, HostArray.class));
        assertThat(vg.grad()).isEqualTo(g);
    }

    private static TypedMlp<HostArray> with(TypedMlp<HostArray> p, int component, HostArray v) {
        return new TypedMlp<>(component == 0 ? v : p.w1(), component == 1 ? v : p.b1(), component == 2 ? v : p.w2());
    }

    /** A record whose components are declared Tensor: grad rebuilds it from tensors only, so it can be differentiated. */
    record Pair(Tensor w, Tensor b) {}

    @Test
    void aRecordOfTensorsCanBeDifferentiated() {
        HostArray w = HostArray.fromDoubles(Spec.of(DType.F32, 2).tensorType(), 1, 2);
        HostArray b = HostArray.fromDoubles(Spec.of(DType.F32, 2).tensorType(), 3, 5);
        // d/dw sum(w * b) = b, d/db = w
        List<HostArray> g = Jit.jit(a -> {
            Pair grad = (Pair) Grad.grad(q -> ((Pair) q[0]).w().mul(((Pair) q[0]).b()).sum()).apply(new Pair((Tensor) a[0], (Tensor) a[1]));
            return List.of(grad.w(), grad.b());
        }).callList(w, b);
        assertThat(g).containsExactly(b, w);
    }

    @Test
    void typedVmapIsTheFunctionOnEachExample() {
        SplittableRandom r = new SplittableRandom(5);
        TypedMlp<HostArray> p = MlpModel.params(DType.F64, 4);
        HostArray xs = MlpModel.random(Spec.of(DType.F64, BATCH, IN), r);
        io.hlo4j.dsl.jit.Fn2<TypedMlp<Tensor>, Tensor, Tensor> one = (q, x) ->   // one example x [IN]
                io.hlo4j.dsl.Nn.relu(io.hlo4j.dsl.Linalg.einsum("i,ij->j", x, q.w1()).add(q.b1())).matmul(q.w2());
        HostArray batched = Jit.of(io.hlo4j.dsl.vmap.Vmap.vmapOf(one, io.hlo4j.dsl.vmap.Vmap.tree(null, 0), io.hlo4j.dsl.vmap.Vmap.axes(0))).call(p, xs, HostArray.class);
        assertThat(batched.shape()).containsExactly(BATCH, OUT);
        var single = Jit.of(one);
        double[] all = batched.toDoubleArray(), xv = xs.toDoubleArray();
        for (int e = 0; e < BATCH; e++) {
            HostArray xe = HostArray.fromDoubles(Spec.of(DType.F64, IN).tensorType(), java.util.Arrays.copyOfRange(xv, e * IN, (e + 1) * IN));
            HostArray ye = single.call(p, xe, HostArray.class);
            assertThat(java.util.Arrays.copyOfRange(all, e * OUT, (e + 1) * OUT)).as("example %d", e).containsExactly(ye.toDoubleArray(),
                    org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    @Test
    void aTypedLambdaGivenAnotherStructureIsRefusedNamingIt() {
        HostArray w = HostArray.fromDoubles(Spec.of(DType.F32, 2).tensorType(), 1, 2);
        var f = Jit.of((TypedMlp<Tensor> q) -> q.w1());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.call(Map.of("w1", w)))
                .isInstanceOf(DslException.class)
                .hasMessageContaining("declared parameter types do not fit the arguments [a map with keys [w1]]")
                .hasMessageContaining("TypedMlp");
    }

    /** vmapOf(Fn3) without axes batches all three arguments at dimension 0: a * x + y per row, computed by hand. */
    @Test
    void typedVmapOfThreeArgumentsBatchesEachAtDimensionZero() {
        io.hlo4j.dsl.jit.Fn3<Tensor, Tensor, Tensor, Tensor> axpy = (a, x, y) -> a.mul(x).add(y);   // one example: a [], x [2], y [2]
        var batched = Jit.of(io.hlo4j.dsl.vmap.Vmap.vmapOf(axpy));
        HostArray a = HostArray.fromDoubles(Spec.of(DType.F64, 3).tensorType(), 2, -1, 0.5);
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F64, 3, 2).tensorType(), 1, 2, 3, 4, 5, 6);
        HostArray y = HostArray.fromDoubles(Spec.of(DType.F64, 3, 2).tensorType(), 10, 20, 30, 40, 50, 60);
        HostArray r = batched.call(a, x, y, HostArray.class);
        assertThat(r.shape()).containsExactly(3, 2);
        // row 0: 2*[1,2]+[10,20]; row 1: -1*[3,4]+[30,40]; row 2: 0.5*[5,6]+[50,60]
        assertThat(r.toDoubleArray()).containsExactly(12, 24, 27, 36, 52.5, 63);
    }
}
