package io.hlo4j.dsltest.vmap;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.vmap.Vmap;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.hlo4j.dsl.vmap.Vmap.NOT_MAPPED;
import static io.hlo4j.dsl.vmap.Vmap.axes;
import static io.hlo4j.dsl.vmap.Vmap.tree;
import static io.hlo4j.dsltest.vmap.VmapOracle.assertClose;
import static io.hlo4j.dsltest.vmap.VmapOracle.f64;
import static io.hlo4j.runtime.testing.BatchAxis.take;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** in_axes given per leaf (a tree matching each argument), against the per-example runs. */
class VmapTreeAxesTest {
    /** y = tanh(x @ p.w + p.b) + p.s[0] * p.s[1]: w [3, 2], b [2], s a list of two [2] vectors, x [3]. */
    @SuppressWarnings("unchecked")
    static final TracedFunction LAYER = a -> {
        Map<String, Object> p = (Map<String, Object>) a[0];
        List<Tensor> s = (List<Tensor>) p.get("s");
        Tensor y = Ops.tanh(Ops.add(Linalg.matmul((Tensor) a[1], (Tensor) p.get("w")), (Tensor) p.get("b")));
        return Ops.add(y, Ops.mul(s.get(0), s.get(1)));
    };

    /** One record type for the arguments (tensors, arrays) and their axes: the in_axes tree must have the argument's type. */
    record Pair<T>(T x, T scale) {}

    @Test
    void aMapOfAxesBatchesSomeParametersOnly() {
        HostArray w = f64(new long[]{3, 2}, 1), b = f64(new long[]{4, 2}, 2), s0 = f64(new long[]{2}, 3), s1 = f64(new long[]{2, 4}, 4);
        HostArray x = f64(new long[]{3, 4}, 5);
        Map<String, Object> params = Map.of("w", w, "b", b, "s", List.of(s0, s1));
        Object[] in = tree(Map.of("w", NOT_MAPPED, "b", 0, "s", List.of(NOT_MAPPED, 1)), 1);
        HostArray got = Jit.jit("tree", Vmap.vmap(LAYER, in, axes(0))).call1(params, x);
        assertThat(got.shape()).containsExactly(4, 2);
        Jit single = Jit.jit("one", LAYER);
        for (int e = 0; e < 4; e++) {
            Map<String, Object> pe = Map.of("w", w, "b", take(b, 0, e), "s", List.of(s0, take(s1, 1, e)));
            assertClose(take(got, 0, e), single.call1(pe, take(x, 1, e)), "example " + e);
        }
    }

    @Test
    void aRecordOfAxes() {
        TracedFunction fn = a -> {
            @SuppressWarnings("unchecked") Pair<Tensor> p = (Pair<Tensor>) a[0];
            return Ops.mul(Ops.sin(p.x()), p.scale());
        };
        HostArray x = f64(new long[]{5, 3}, 6), scale = f64(new long[]{3}, 7);
        // the record's components get their own axes: x batched at 0, the scale shared
        HostArray got = Jit.jit("rec", Vmap.vmap(fn, tree(new Pair<Integer>(0, null)), axes(1))).call1(new Pair<>(x, scale));
        Jit single = Jit.jit("one", fn);
        for (int e = 0; e < 5; e++) assertClose(take(got, 1, e), single.call1(new Pair<>(take(x, 0, e), scale)), "example " + e);
    }

    @Test
    void aTreeThatDoesNotMatchTheArgumentIsRefusedSayingWhere() {
        HostArray w = f64(new long[]{3, 2}, 1), b = f64(new long[]{4, 2}, 2), s0 = f64(new long[]{2}, 3), s1 = f64(new long[]{2}, 4);
        Map<String, Object> params = Map.of("w", w, "b", b, "s", List.of(s0, s1));
        HostArray x = f64(new long[]{4, 3}, 5);
        assertThatThrownBy(() -> Jit.jit(Vmap.vmap(LAYER, tree(Map.of("w", NOT_MAPPED, "b", 0), 0), axes(0))).call(params, x))
                .isInstanceOf(DslException.class).hasMessageContaining("argument #0: in_axes at the argument has keys [b, w] but the argument has keys [b, s, w]");
        assertThatThrownBy(() -> Jit.jit(Vmap.vmap(LAYER, tree(Map.of("w", NOT_MAPPED, "b", 0, "s", List.of(0)), 0), axes(0))).call(params, x))
                .isInstanceOf(DslException.class).hasMessageContaining("in_axes at 's' is a list of 1 but the argument has 2 elements");
        assertThatThrownBy(() -> Jit.jit(Vmap.vmap(LAYER, tree(Map.of("w", List.of(0), "b", 0, "s", 0), 0), axes(0))).call(params, x))
                .isInstanceOf(DslException.class).hasMessageContaining("in_axes at 'w' is a list but the argument there is a tensor");
    }

    /** An in_axes record whose accessor refuses a negative axis (the argument, of tensors, reads fine). */
    record Checked(Object x, Object scale) {
        @Override public Object x() {
            if (x instanceof Integer i && i < 0) throw new IllegalStateException("negative axis " + i);
            return x;
        }
    }

    /**
     * The in_axes record's components are read as Pytree reads any record's (its accessor's failure named by component),
     * and Pytree's reader is no public API: in_axes reads them through {@code Pytree.flatten}.
     */
    @Test
    void anInAxesRecordIsReadAsPytreeReadsRecords() {
        TracedFunction fn = a -> {
            Checked p = (Checked) a[0];
            return Ops.mul((Tensor) p.x(), (Tensor) p.scale());
        };
        HostArray x = f64(new long[]{5, 3}, 6), scale = f64(new long[]{3}, 7);
        assertThatThrownBy(() -> Jit.jit(Vmap.vmap(fn, tree(new Checked(-1, null)), axes(0))).call(new Checked(x, scale)))
                .hasMessageContaining("cannot read component x of " + Checked.class.getName()
                        + ": its accessor threw IllegalStateException: negative axis -1");
        HostArray got = Jit.jit("checked", Vmap.vmap(fn, tree(new Checked(0, null)), axes(0))).call1(new Checked(x, scale));
        Jit single = Jit.jit("one", fn);
        for (int e = 0; e < 5; e++) assertClose(take(got, 0, e), single.call1(new Checked(take(x, 0, e), scale)), "example " + e);
        assertThat(java.util.Arrays.stream(io.hlo4j.dsl.Pytree.class.getMethods()).map(java.lang.reflect.Method::getName))
                .doesNotContain("component");
    }
}
