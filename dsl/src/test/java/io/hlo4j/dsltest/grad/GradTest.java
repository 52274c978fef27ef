package io.hlo4j.dsltest.grad;

import io.hlo4j.compiler.ad.Checkpoint;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Checkpointing;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** DSL gradients against central finite differences in f64 on the interpreter. */
class GradTest {
    static HostArray f64(long[] shape, double seed) {
        TensorType t = TensorType.of(FloatType.F64, shape);
        double[] v = new double[(int) t.numElements()];
        for (int i = 0; i < v.length; i++) v[i] = Math.sin(seed + 1.7 * i) * 0.8;
        return HostArray.fromDoubles(t, v);
    }

    /** A two-layer net over a params map and an input. */
    static Tensor net(Map<String, ?> p, Tensor x) {
        Tensor h = Ops.tanh(Ops.add(Linalg.matmul(x, (Tensor) p.get("w")), (Tensor) p.get("b")));
        return Ops.add(Reductions.sum(Ops.square(h)), Reductions.mean(Ops.exp((Tensor) p.get("b"))));
    }

    @SuppressWarnings("unchecked")
    static final TracedFunction NET = a -> net((Map<String, ?>) a[0], (Tensor) a[1]);

    /** Central differences of the scalar {@code loss} at leaf {@code leafIdx} of the flat argument list. */
    static double[] fd(Jit loss, List<HostArray> flatArgs, Function<List<HostArray>, Object[]> rebuild, int leafIdx) {
        HostArray a = flatArgs.get(leafIdx);
        double[] v = a.toDoubleArray(), g = new double[v.length];
        double h = 1e-6;
        for (int i = 0; i < v.length; i++) {
            double[] plus = v.clone(), minus = v.clone();
            plus[i] += h;
            minus[i] -= h;
            List<HostArray> p = new ArrayList<>(flatArgs), m = new ArrayList<>(flatArgs);
            p.set(leafIdx, HostArray.fromDoubles(a.type(), plus));
            m.set(leafIdx, HostArray.fromDoubles(a.type(), minus));
            g[i] = (loss.call1(rebuild.apply(p)).getDouble(0) - loss.call1(rebuild.apply(m)).getDouble(0)) / (2 * h);
        }
        return g;
    }

    static void assertClose(double[] got, double[] want, double rel) {
        double num = 0, den = 0;
        for (int i = 0; i < got.length; i++) { num += (got[i] - want[i]) * (got[i] - want[i]); den += want[i] * want[i]; }
        assertThat(Math.sqrt(num)).isLessThanOrEqualTo(rel * Math.max(1e-12, Math.sqrt(den)));
    }

    @Test
    @SuppressWarnings("unchecked")
    void valueAndGradOfAParamsTreeMatchesFiniteDifferences() {
        HostArray w = f64(new long[]{3, 2}, 0.1), b = f64(new long[]{2}, 0.7), x = f64(new long[]{4, 3}, 1.3);
        Map<String, HostArray> p = Map.of("w", w, "b", b);
        List<Object> vg = (List<Object>) Jit.jit("vg", Grad.valueAndGrad(NET, 0)).call(p, x);
        Jit loss = Jit.jit("loss", NET);
        assertThat(((HostArray) vg.get(0)).getDouble(0)).isEqualTo(loss.call1(p, x).getDouble(0));
        Map<String, HostArray> g = (Map<String, HostArray>) vg.get(1);
        assertThat(g).containsOnlyKeys("w", "b");
        // flat order: b, w (maps flatten by sorted key), then x
        Function<List<HostArray>, Object[]> rebuild = l -> new Object[]{Map.of("b", l.get(0), "w", l.get(1)), l.get(2)};
        List<HostArray> flat = List.of(b, w, x);
        assertClose(g.get("b").toDoubleArray(), fd(loss, flat, rebuild, 0), 1e-6);
        assertClose(g.get("w").toDoubleArray(), fd(loss, flat, rebuild, 1), 1e-6);
        assertThat(g.get("w").type()).isEqualTo(w.type());
    }

    @Test
    @SuppressWarnings("unchecked")
    void gradWithSeveralArgnumsReturnsOneTreePerArgument() {
        HostArray w = f64(new long[]{3, 2}, 0.4), b = f64(new long[]{2}, 0.2), x = f64(new long[]{4, 3}, 2.1);
        Map<String, HostArray> p = Map.of("w", w, "b", b);
        List<Object> g = (List<Object>) Jit.jit("g", Grad.grad(NET, 0, 1)).call(p, x);
        Function<List<HostArray>, Object[]> rebuild = l -> new Object[]{Map.of("b", l.get(0), "w", l.get(1)), l.get(2)};
        Jit loss = Jit.jit("loss", NET);
        assertClose(((HostArray) g.get(1)).toDoubleArray(), fd(loss, List.of(b, w, x), rebuild, 2), 1e-6);
        assertClose(((Map<String, HostArray>) g.get(0)).get("w").toDoubleArray(), fd(loss, List.of(b, w, x), rebuild, 1), 1e-6);
    }

    @Test
    void stopGradientCutsTheBackwardPass() {
        // d/dx sum(x * sg(x)) = x, while d/dx sum(x * x) = 2x.
        HostArray x = f64(new long[]{5}, 0.3);
        HostArray g = Jit.jit("g", Grad.grad(a -> Reductions.sum(Ops.mul((Tensor) a[0], Grad.stopGradient((Tensor) a[0]))))).call1(x);
        assertThat(g.toDoubleArray()).containsExactly(x.toDoubleArray());
    }

    static Tensor layer(List<Tensor> a) {
        Tensor h = Checkpointing.name(Linalg.matmul(a.get(0), a.get(1)), "h");
        return Ops.sin(Ops.mul(h, Ops.tanh(h)));
    }

    @Test
    void checkpointedGradientsEqualPlainOnes() {
        HostArray x = f64(new long[]{4, 3}, 0.5), w = f64(new long[]{3, 3}, 1.1);
        TracedFunction plain = a -> Reductions.sum(Ops.square(layer(List.of((Tensor) a[0], (Tensor) a[1]))));
        HostArray ref = Jit.jit("plain", Grad.grad(plain, 1)).call1(x, w);
        Function<List<HostArray>, Object[]> rebuild = l -> l.toArray();
        assertClose(ref.toDoubleArray(), fd(Jit.jit("loss", plain), List.of(x, w), rebuild, 1), 1e-6);
        for (Checkpoint.Policy policy : Checkpoint.Policy.values()) {
            Function<List<Tensor>, List<Tensor>> ck = Checkpointing.checkpoint(a -> List.of(layer(a)), policy, "h");
            TracedFunction f = a -> Reductions.sum(Ops.square(ck.apply(List.of((Tensor) a[0], (Tensor) a[1])).get(0)));
            Jit j = Jit.jit("ck", Grad.grad(f, 1));
            assertThat(j.lower(x, w).asText()).as("policy %s recomputes behind a barrier", policy).contains("stablehlo.optimization_barrier");
            assertThat(j.call1(x, w).toDoubleArray()).as("policy %s", policy).containsExactly(ref.toDoubleArray());
            // Outside grad the checkpoint is a plain call of the function.
            assertThat(Jit.jit("fwd", f).call1(x, w).getDouble(0)).isEqualTo(Jit.jit("p", plain).call1(x, w).getDouble(0));
        }
    }

    @Test
    void customVjpReplacesTheDerivative() {
        // forward x^2, user backward 3 * x * ct (deliberately not 2x): the gradient follows the user's rule.
        Function<List<Tensor>, List<Tensor>> sq = Checkpointing.customVjp(a -> List.of(Ops.square(a.get(0))),
                (args, res, ct) -> List.of(Ops.mul(Ops.mul(args.get(0), 3.0), ct.get(0))));
        HostArray x = f64(new long[]{4}, 0.9);
        List<?> vg = (List<?>) Jit.jit("vg", Grad.valueAndGrad(a -> Reductions.sum(sq.apply(List.of((Tensor) a[0])).get(0)))).call(x);
        double[] xv = x.toDoubleArray(), g = ((HostArray) vg.get(1)).toDoubleArray();
        double sum = 0;
        for (int i = 0; i < xv.length; i++) { assertThat(g[i]).isEqualTo(3 * xv[i]); sum += xv[i] * xv[i]; }
        assertThat(((HostArray) vg.get(0)).getDouble(0)).isCloseTo(sum, org.assertj.core.api.Assertions.within(1e-15));
    }

    @Test
    void refusesNonScalarLossesAndIntegerLeavesByName() {
        HostArray x = f64(new long[]{3}, 0.1);
        assertThatThrownBy(() -> Jit.jit("g", Grad.grad(a -> Ops.exp((Tensor) a[0]))).call(x))
                .isInstanceOf(DslException.class).hasMessageContaining("grad").hasMessageContaining("scalar");
        HostArray i = HostArray.fromLongs(TensorType.of(io.hlo4j.mlir.types.IntegerType.I32, 3), 1, 2, 3);
        assertThatThrownBy(() -> Jit.jit("g", Grad.grad(a -> Reductions.sum(Ops.astype((Tensor) a[0], DType.F64)))).call(i))
                .isInstanceOf(DslException.class).hasMessageContaining("only float leaves");
    }

    @Test
    void gradOfGradIsTheSecondDerivative() {
        // d/dx sum(d/dx sum(x^3)) = d/dx sum(3 x^2) = 6x
        TracedFunction cube = a -> Reductions.sum(Ops.mul(Ops.square((Tensor) a[0]), (Tensor) a[0]));
        TracedFunction firstSum = a -> Reductions.sum((Tensor) Grad.grad(cube).apply(a));
        HostArray x = f64(new long[]{4}, 0.2);
        double[] g2 = Jit.jit("g2", Grad.grad(firstSum)).call1(x).toDoubleArray(), xv = x.toDoubleArray();
        for (int i = 0; i < xv.length; i++) assertThat(g2[i]).isCloseTo(6 * xv[i], org.assertj.core.api.Assertions.within(1e-12));
    }

    @Test
    void capturingATensorOfTheEnclosingTraceIsRefused() {
        HostArray x = f64(new long[]{3}, 0.1);
        assertThatThrownBy(() -> Jit.jit("bad", a -> {
            Tensor outer = (Tensor) a[0];
            return Grad.grad(b -> Reductions.sum(Ops.mul((Tensor) b[0], outer))).apply(outer);
        }).call(x)).isInstanceOf(DslException.class).hasMessageContaining("outside its trace");
    }
}
