package io.hlo4j.dsltest.vmap;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Random;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.compiler.ad.Checkpoint;
import io.hlo4j.dsl.grad.Checkpointing;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.vmap.Vmap;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.hlo4j.dsl.vmap.Vmap.axes;
import static io.hlo4j.dsltest.vmap.VmapOracle.centralDifferences;
import static io.hlo4j.dsltest.vmap.VmapOracle.check;
import static io.hlo4j.dsltest.vmap.VmapOracle.f64;
import static io.hlo4j.runtime.testing.BatchAxis.take;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** vmap composed with itself, grad and jit, per-example PRNG streams, and its refusals. */
class VmapComposeTest {
    static Tensor t(Object[] a, int i) { return (Tensor) a[i]; }

    /** loss(w, x) = sum(tanh(x @ w)^2): w [3, 2], x [3] */
    static final TracedFunction LOSS = a -> Reductions.sum(Ops.square(Ops.tanh(Linalg.einsum("i,ij->j", t(a, 1), t(a, 0)))));

    @Test
    void vmapOfVmapEqualsTheDoubleLoop() {
        TracedFunction fn = a -> Ops.add(Linalg.matmul(t(a, 0), t(a, 1)), 1.0);           // [2,3] x [3,4]
        TracedFunction inner = Vmap.vmap(fn, axes(0, null), axes(0));                       // over x's axis 0
        // outer over w's axis 2, x's axis 1: per outer example the inner vmap is checked against its own loop too
        check(inner, axes(0, null), axes(0), f64(new long[]{5, 2, 3}, 1), f64(new long[]{3, 4}, 2));
        check(inner, axes(1, 2), axes(2), f64(new long[]{5, 6, 2, 3}, 3), f64(new long[]{3, 4, 6}, 4));
    }

    @Test
    void perExampleGradientsMatchFiniteDifferences() {
        HostArray w = f64(new long[]{3, 2}, 5), xs = f64(new long[]{4, 3}, 6);
        TracedFunction perEx = Vmap.vmap(Grad.grad(LOSS, 0), axes(null, 0), axes(0));
        HostArray g = Jit.jit("per_example", perEx).call1(w, xs);                          // [4, 3, 2]
        assertThat(g.shape()).containsExactly(4, 3, 2);
        Jit loss = Jit.jit("loss", LOSS);
        for (int e = 0; e < 4; e++) {
            double[] fd = centralDifferences(loss, w, take(xs, 0, e));
            for (int k = 0; k < fd.length; k++) {
                assertThat(g.getDouble(e * fd.length + k)).as("example %d, dw[%d]", e, k).isCloseTo(fd[k], org.assertj.core.data.Offset.offset(1e-7));
            }
        }
        check(Grad.grad(LOSS, 0), axes(null, 0), axes(0), w, xs);   // and per-example runs of grad agree exactly
    }

    @Test
    void gradOfVmapMatchesFiniteDifferences() {
        TracedFunction total = a -> Reductions.sum((Tensor) Vmap.vmap(LOSS, axes(null, 0), axes(0)).apply(a[0], a[1]));
        HostArray w = f64(new long[]{3, 2}, 7), xs = f64(new long[]{5, 3}, 8);
        HostArray g = Jit.jit("g", Grad.grad(total, 0)).call1(w, xs);
        Jit f = Jit.jit("total", total);
        double[] fd = centralDifferences(f, w, xs);
        for (int k = 0; k < fd.length; k++) assertThat(g.getDouble(k)).as("dw[%d]", k).isCloseTo(fd[k], org.assertj.core.data.Offset.offset(1e-7));
    }

    @Test
    void perExampleRandomStreamsFromBatchedKeys() {
        // threefry on u32: shifts, xors, adds, bitcasts under vmap; each example's stream equals its own run
        TracedFunction fn = a -> Random.uniform(t(a, 0), Shape.of(3), DType.F32);
        long[] seeds = {1, 2, 3, 42};
        long[] keys = new long[8];
        for (int i = 0; i < seeds.length; i++) { keys[2 * i] = 0; keys[2 * i + 1] = seeds[i]; }
        HostArray k = HostArray.fromLongs(TensorType.of(IntegerType.UI32, 4, 2), keys);
        check(fn, axes(0), axes(0), k);
    }

    @Test
    void pytreeArgumentsAndResults() {
        TracedFunction fn = a -> {
            @SuppressWarnings("unchecked") Map<String, Tensor> p = (Map<String, Tensor>) a[0];
            Tensor y = Ops.add(Linalg.matmul(t(a, 1), p.get("w")), p.get("b"));
            return List.of(y, Map.of("norm", Reductions.sum(Ops.square(y))));
        };
        HostArray w = f64(new long[]{3, 2}, 9), b = f64(new long[]{2}, 10), x = f64(new long[]{4, 3}, 11);
        @SuppressWarnings("unchecked")
        List<Object> out = (List<Object>) Jit.jit("tree", Vmap.vmap(fn, axes(null, 0), axes(0, 0))).call(Map.of("w", w, "b", b), x);
        HostArray y = (HostArray) out.get(0);
        @SuppressWarnings("unchecked") HostArray norm = ((Map<String, HostArray>) out.get(1)).get("norm");
        Jit single = Jit.jit("single", fn);
        for (int e = 0; e < 4; e++) {
            @SuppressWarnings("unchecked")
            List<Object> one = (List<Object>) single.call(Map.of("w", w, "b", b), take(x, 0, e));
            VmapOracle.assertClose(take(y, 0, e), (HostArray) one.get(0), "y");
            @SuppressWarnings("unchecked") HostArray n1 = ((Map<String, HostArray>) one.get(1)).get("norm");
            assertThat(norm.getDouble(e)).isCloseTo(n1.getDouble(0), org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    @Test
    void refusalsNameTheOpTheValuesAndTheLine() {
        HostArray x = f64(new long[]{4, 3}, 12), y = f64(new long[]{5, 3}, 13);
        TracedFunction add = a -> Ops.add(t(a, 0), t(a, 1));
        assertThatThrownBy(() -> Jit.jit(Vmap.vmap(add, axes(0, 0), axes(0))).call(x, y))
                .isInstanceOf(DslException.class).hasMessageContaining("batch sizes differ").hasMessageContaining("has 5 at axis 0")
                .hasMessageContaining("has 4");
        assertThatThrownBy(() -> Jit.jit(Vmap.vmap(add, axes(2, 0), axes(0))).call(x, y))
                .isInstanceOf(DslException.class).hasMessageContaining("in_axes 2 is out of range for argument #0");
        assertThatThrownBy(() -> Jit.jit(Vmap.vmap(add, axes(null, null), axes(0))).call(x, x))
                .isInstanceOf(DslException.class).hasMessageContaining("no argument is batched");
        assertThatThrownBy(() -> Jit.jit(Vmap.vmap(add, axes(0, 0), axes((Integer) null))).call(x, x))
                .isInstanceOf(DslException.class).hasMessageContaining("out_axes[0] is none but result #0 depends on a batched argument");
        // an op that cannot be batched: refused by name with the reason, at the line of the user's code that traced it
        TracedFunction opaque = a -> Ops.op("stablehlo.custom_call", List.of(t(a, 0)), Map.of("call_target_name",
                new io.hlo4j.mlir.attr.StringAttr("my_kernel")), List.of((TensorType) t(a, 0).value().type())).get(0);
        assertThatThrownBy(() -> Jit.jit(Vmap.vmap(opaque)).call(x))
                .isInstanceOf(DslException.class)
                .hasMessageContaining("cannot batch 'stablehlo.custom_call' with operands [tensor<4x3xf64> batched at dim 0]")
                .hasMessageContaining("'my_kernel' is opaque")
                .hasMessageContaining("VmapComposeTest.java:");
        // grad over a vmapped checkpoint (a call to a side function of the enclosing grad, kept as a call of its batched
        // copy) and the other order both give per-example gradients cos(x) (VmapCallsTest has the rest)
        TracedFunction ck = a -> Checkpointing.checkpoint(l -> List.of(Ops.sin(l.get(0))), Checkpoint.Policy.NOTHING).apply(List.of(t(a, 0))).get(0);
        TracedFunction total = a -> Reductions.sum((Tensor) Vmap.vmap(ck).apply(a[0]));
        double[] xv = x.toDoubleArray();
        for (HostArray g : List.of(Jit.jit(Grad.grad(total, 0)).call1(x), Jit.jit(Vmap.vmap(Grad.grad(a -> Reductions.sum((Tensor) ck.apply(a)), 0))).call1(x))) {
            for (int i = 0; i < xv.length; i++) assertThat(g.getDouble(i)).isCloseTo(Math.cos(xv[i]), org.assertj.core.data.Offset.offset(1e-12));
        }
    }
}
