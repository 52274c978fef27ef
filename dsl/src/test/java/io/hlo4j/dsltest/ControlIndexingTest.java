package io.hlo4j.dsltest;

import io.hlo4j.dsl.Control;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.dsltest.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

class ControlIndexingTest {
    @Test
    void condPicksABranch() {
        HostArray x = f64(s(2), 3, -4);
        List<HostArray> r = run(a -> {
            Tensor t = (Tensor) a[0];
            Tensor p = Ops.gt(t.sum(), 0.0);
            return Control.cond(p, () -> List.of(t.mul(2.0)), () -> List.of(t.neg()));
        }, x);
        assertClose(r.get(0), new double[]{-3, 4}, 0); // sum is -1, so the false branch
    }

    @Test
    void switchCaseRunsTheIndexedBranch() {
        HostArray x = f64(s(), 5), i = i32(s(), 2);
        HostArray r = run1(a -> Control.switchCase((Tensor) a[1], List.of(
                () -> List.of(((Tensor) a[0]).add(1.0)),
                () -> List.of(((Tensor) a[0]).add(2.0)),
                () -> List.of(((Tensor) a[0]).mul(10.0)))).get(0), x, i);
        assertClose(r, new double[]{50}, 0);
    }

    @Test
    void foriLoopAndWhileLoop() {
        HostArray x = f64(s(), 1);
        // for i in [0, 5): acc = acc * 2 + i  -> 1, 2, 5, 12, 27, 58
        HostArray r = run1(a -> Control.foriLoop(0, 5, (i, c) -> List.of(c.get(0).mul(2.0).add(i.astype(DType.F64))), List.of((Tensor) a[0])).get(0), x);
        assertClose(r, new double[]{58}, 0);
        HostArray w = run1(a -> Control.whileLoop(List.of((Tensor) a[0]), c -> Ops.lt(c.get(0), 100.0), c -> List.of(c.get(0).mul(3.0))).get(0), x);
        assertClose(w, new double[]{243}, 0);
    }

    @Test
    void scanCarriesAndStacksOutputs() {
        // A running sum over rows with a per-step output of carry * x: numbers checked by a plain loop.
        double[] xs = random(9, 8);
        HostArray seq = f64(s(4, 2), xs), init = f64(s(2), 1, 1);
        List<HostArray> r = run(a -> {
            Control.ScanResult sr = Control.scan((c, x) -> {
                Tensor next = c.get(0).add(x.get(0));
                return new Control.Step(List.of(next), List.of(next.mul(x.get(0)), next.sum()));
            }, List.of((Tensor) a[1]), List.of((Tensor) a[0]));
            List<Object> out = new ArrayList<>(sr.carry());
            out.addAll(sr.ys());
            return out;
        }, seq, init);
        double[] c = {1, 1};
        double[] ys = new double[8], sums = new double[4];
        for (int t = 0; t < 4; t++) {
            for (int j = 0; j < 2; j++) {
                c[j] += xs[t * 2 + j];
                ys[t * 2 + j] = c[j] * xs[t * 2 + j];
            }
            sums[t] = c[0] + c[1];
        }
        assertClose(r.get(0), c, 1e-12);
        assertClose(r.get(1), ys, 1e-12);
        assertThat(r.get(1).shape()).containsExactly(4, 2);
        assertClose(r.get(2), sums, 1e-12);
    }

    @Test
    void takeTakeAlongAxisScatterAddBincount() {
        double[] v = {0, 1, 2, 3, 4, 5};
        HostArray x = f64(s(2, 3), v);
        List<HostArray> r = run(a -> {
            Tensor t = (Tensor) a[0];
            return List.of(Indexing.take(t, (Tensor) a[1], 1), Indexing.take(t, (Tensor) a[2], 0),
                    Indexing.takeAlongAxis(t, (Tensor) a[3], 1),
                    Indexing.scatterAdd(t, (Tensor) a[2], Ops.ones(io.hlo4j.dsl.Shape.of(3, 3), DType.F64), 0),
                    Indexing.bincount((Tensor) a[4], 4));
        }, x, i32(s(2), 2, 0), i32(s(3), 1, 1, 0), i32(s(2, 2), 2, 0, 1, 1), i32(s(5), 1, 3, 1, 1, 0));
        assertClose(r.get(0), new double[]{2, 0, 5, 3}, 0);
        assertClose(r.get(1), new double[]{3, 4, 5, 3, 4, 5, 0, 1, 2}, 0);
        assertThat(r.get(1).shape()).containsExactly(3, 3);
        assertClose(r.get(2), new double[]{2, 0, 4, 4}, 0);
        assertClose(r.get(3), new double[]{1, 2, 3, 5, 6, 7}, 0); // row 0 once, row 1 twice
        assertClose(r.get(4), new double[]{1, 3, 0, 1}, 0);
    }

    @Test
    void sortArgsortTopK() {
        HostArray x = f64(s(6), 3, 1, 2, 1, 5, 2);
        List<HostArray> r = run(a -> {
            Tensor t = (Tensor) a[0];
            List<Object> out = new ArrayList<>(List.of(Indexing.sort(t, 0), Indexing.argsort(t, 0)));
            out.addAll(Indexing.topK(t, 3));
            return out;
        }, x);
        assertClose(r.get(0), new double[]{1, 1, 2, 2, 3, 5}, 0);
        assertClose(r.get(1), new double[]{1, 3, 2, 5, 0, 4}, 0); // stable: equal keys keep their order
        assertClose(r.get(2), new double[]{5, 3, 2}, 0);
        assertClose(r.get(3), new double[]{4, 0, 2}, 0);
    }
}
