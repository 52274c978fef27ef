package io.hlo4j.dsltest.jit;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.CallArgumentException;
import io.hlo4j.dsl.jit.Compiled;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Jit1;
import io.hlo4j.dsl.jit.Jit2;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A request handler's use of a traced model: the typed {@code call(..., Class)} (the result's class checked, never a
 * ClassCastException), one {@code Jit} called from several threads from its first call on (each shape traced once, every
 * result the values computed by hand: small integers, exact in f32), and a compiled program refusing a request of
 * another shape as a {@link CallArgumentException}.
 */
class JitInAServiceTest {
    record Layer<T>(T w, T b) {}

    record Pair<T>(T sum, T max) {}

    private static HostArray f32(long[] shape, double... v) { return HostArray.fromDoubles(Spec.of(DType.F32, shape).tensorType(), v); }

    /** w = [[1, -1], [0, 2], [1, 1]], b = [1, -3]. */
    private static final Layer<HostArray> P = new Layer<>(f32(new long[] {3, 2}, 1, -1, 0, 2, 1, 1), f32(new long[] {2}, 1, -3));

    /** relu(x w + b) by hand, for rows of x. */
    private static HostArray byHand(double[][] x) {
        double[] out = new double[x.length * 2];
        double[][] w = {{1, -1}, {0, 2}, {1, 1}};
        double[] b = {1, -3};
        for (int i = 0; i < x.length; i++)
            for (int j = 0; j < 2; j++) {
                double s = b[j];
                for (int k = 0; k < 3; k++) s += x[i][k] * w[k][j];
                out[i * 2 + j] = Math.max(0, s);
            }
        return f32(new long[] {x.length, 2}, out);
    }

    private static HostArray rows(double[][] x) {
        double[] flat = new double[x.length * 3];
        for (int i = 0; i < x.length; i++) System.arraycopy(x[i], 0, flat, i * 3, 3);
        return f32(new long[] {x.length, 3}, flat);
    }

    private static final double[][] X2 = {{1, 2, 3}, {-4, 5, 0}};
    private static final double[][] X4 = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {2, 2, 2}};

    private static Jit2<Layer<Tensor>, Tensor, Tensor> model(AtomicInteger traces) {
        return Jit.of("layer", (Layer<Tensor> p, Tensor x) -> {
            traces.incrementAndGet();
            return Nn.relu(x.matmul(p.w()).add(p.b()));
        });
    }

    @Test
    void typedCallReturnsTheClassItNamesAndRefusesAnother() {
        Jit2<Layer<Tensor>, Tensor, Tensor> f = model(new AtomicInteger());
        HostArray h = f.call(P, rows(X2), HostArray.class);
        assertThat(h).isEqualTo(byHand(X2));
        assertThat(h.toDoubleArray()).containsExactly(5, 3, 0, 11);   // [1 + 3 + 1, -1 + 4 + 3 - 3], [max(0, -4 + 1), 4 + 10 - 3]
        assertThatThrownBy(() -> { List<?> l = f.call(P, rows(X2), List.class); assertThat(l).isNull(); })
                .isInstanceOf(DslException.class)
                .hasMessageStartingWith("call: @layer returned one array tensor<2x2xf32>, not a List (the class passed to call)");

        Jit1<Tensor, Pair<Tensor>> pair = Jit.of("pair", (Tensor x) -> new Pair<>(x.sum(), x.max()));
        Pair<HostArray> r = pair.call(rows(X2), Pair.class);
        assertThat(r.sum().getDouble(0)).isEqualTo(7);    // 1 + 2 + 3 - 4 + 5 + 0
        assertThat(r.max().getDouble(0)).isEqualTo(5);
        assertThatThrownBy(() -> { HostArray one = pair.call(rows(X2), HostArray.class); assertThat(one).isNull(); })
                .isInstanceOf(DslException.class).hasMessageContaining("@pair returned a Pair, not a HostArray");
    }

    @Test
    void oneJitServesConcurrentCallersFromItsFirstCall() throws Exception {
        AtomicInteger traces = new AtomicInteger();
        Jit2<Layer<Tensor>, Tensor, Tensor> f = model(traces);
        HostArray x2 = rows(X2), x4 = rows(X4);
        List<Future<HostArray>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 200; i++) {
                HostArray x = i % 2 == 0 ? x2 : x4;
                results.add(pool.submit(() -> f.call(P, x, HostArray.class)));
            }
            for (int i = 0; i < results.size(); i++) assertThat(results.get(i).get()).isEqualTo(byHand(i % 2 == 0 ? X2 : X4));
        }
        assertThat(f.cacheSize()).isEqualTo(2);
        assertThat(traces.get()).isEqualTo(2);   // each shape traced once, however many callers raced to it
    }

    @Test
    void aCompiledProgramRefusesARequestOfAnotherShapeAsACallArgumentException() {
        Compiled c = model(new AtomicInteger()).compile(new Layer<>(Spec.of(DType.F32, 3, 2), Spec.of(DType.F32, 2)), Spec.of(DType.F32, 2, 3));
        assertThat(c.callTree(P, rows(X2))).isEqualTo(byHand(X2));
        assertThatThrownBy(() -> c.callTree(P, rows(X4))).isInstanceOfSatisfying(CallArgumentException.class, e -> {
            assertThat(e.op()).isEqualTo("call");
            assertThat(e.detail()).isEqualTo("call: argument args[1] of @layer is f32[4, 3] but @layer was traced for f32[2, 3]");
        });
        assertThatThrownBy(() -> c.callTree(P, null)).isInstanceOf(CallArgumentException.class).hasMessageContaining("args[1]");
        assertThatThrownBy(() -> c.callTree(P)).isInstanceOf(CallArgumentException.class).hasMessageContaining("traced structure");
    }
}
