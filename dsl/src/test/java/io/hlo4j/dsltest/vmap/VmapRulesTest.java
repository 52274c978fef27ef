package io.hlo4j.dsltest.vmap;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.dsl.vmap.Vmap.axes;
import static io.hlo4j.dsltest.vmap.VmapOracle.check;
import static io.hlo4j.dsltest.vmap.VmapOracle.f32;
import static io.hlo4j.dsltest.vmap.VmapOracle.f64;

/** Element-wise, shape, reduction and contraction rules: vmapped result == per-example runs stacked. */
class VmapRulesTest {
    static Tensor t(Object[] a, int i) { return (Tensor) a[i]; }

    @Test
    void elementwiseWithAnUnbatchedOperandBroadcast() {
        TracedFunction fn = a -> Ops.add(Ops.mul(Ops.tanh(t(a, 0)), t(a, 1)), Ops.exp(Ops.neg(t(a, 0))));
        HostArray x = f64(new long[]{4, 3}, 1), y = f64(new long[]{3}, 2);
        check(fn, axes(0, null), axes(0), x, y);
        check(fn, axes(1, null), axes(1), f64(new long[]{3, 4}, 3), y);
        // both batched, at different axes; result at the back
        check(fn, axes(1, 0), axes(-1), f64(new long[]{3, 5}, 4), f64(new long[]{5, 3}, 5));
    }

    @Test
    void scalarExamplesAndCompareSelectConvert() {
        TracedFunction fn = a -> List.of(Ops.where(Ops.gt(t(a, 0), t(a, 1)), t(a, 0), Ops.mul(t(a, 1), 2.0)),
                Ops.astype(Ops.lt(t(a, 0), 0.0), DType.F32), Ops.astype(t(a, 0), DType.F32));
        check(fn, axes(0, 0), axes(0), f64(new long[]{6}, 6), f64(new long[]{6}, 7));
        check(fn, axes(0, null), axes(0, 1, 0), f64(new long[]{5, 2}, 8), f64(new long[]{2}, 9));
    }

    @Test
    void selectWithAScalarPredicate() {
        // where(pred scalar, x, y): the per-example predicate is a scalar beside vectors
        TracedFunction fn = a -> Ops.where(Ops.gt(Reductions.sum(t(a, 0)), 0.0), t(a, 0), t(a, 1));
        check(fn, axes(0, null), axes(0), f64(new long[]{6, 3}, 10), f64(new long[]{3}, 11));
    }

    @Test
    void broadcastReshapeTransposeAndLeaves() {
        TracedFunction fn = a -> {
            Tensor x = t(a, 0);                                          // [2, 3]
            Tensor b = Ops.broadcastTo(Ops.reshape(x, 3, 2), 4, 3, 2);   // [4, 3, 2]
            Tensor c = Ops.transpose(b, 2, 0, 1);                        // [2, 4, 3]
            Tensor io = Ops.astype(Ops.iota(DType.F64, Shape.of(2, 4, 3), 1), DType.F64);
            return Ops.add(Ops.add(c, io), Ops.full(Shape.of(2, 4, 3), 0.5, DType.F64));
        };
        check(fn, axes(0), axes(0), f64(new long[]{3, 2, 3}, 12));
        check(fn, axes(2), axes(3), f64(new long[]{2, 3, 4}, 13));
        check(fn, axes(1), axes(1), f64(new long[]{2, 5, 3}, 14));
    }

    @Test
    void reductionsIncludingArgmaxAndCumsum() {
        TracedFunction fn = a -> List.of(Reductions.sum(t(a, 0), 1), Reductions.max(t(a, 0), 0), Reductions.min(t(a, 0)),
                Reductions.mean(t(a, 0), 0, 1), Ops.astype(Reductions.argmax(t(a, 0), 1), DType.F64), Reductions.cumsum(t(a, 0), 1));
        check(fn, axes(0), axes(0), f64(new long[]{3, 4, 5}, 15));
        check(fn, axes(2), axes(0, 1, 0, 0, 1, 2), f64(new long[]{4, 5, 3}, 16));
    }

    @Test
    void dotGeneralWithBatchOnEitherOrBothSides() {
        TracedFunction mm = a -> Linalg.matmul(t(a, 0), t(a, 1));       // [m,k] x [k,n]
        HostArray lhsB = f64(new long[]{4, 2, 3}, 17), rhs = f64(new long[]{3, 5}, 18);
        check(mm, axes(0, null), axes(0), lhsB, rhs);                   // lhs only
        check(mm, axes(null, 2), axes(1), f64(new long[]{2, 3}, 19), f64(new long[]{3, 5, 4}, 20)); // rhs only, batch last
        check(mm, axes(1, 0), axes(2), f64(new long[]{2, 4, 3}, 21), f64(new long[]{4, 3, 5}, 22)); // both
        TracedFunction ein = a -> Linalg.einsum("bij,bjk->bik", t(a, 0), t(a, 1));               // existing batch dims
        check(ein, axes(2, 0), axes(0), f64(new long[]{2, 3, 4, 5}, 23), f64(new long[]{4, 2, 5, 3}, 24));
        check(ein, axes(null, 1), axes(1), f64(new long[]{2, 3, 5}, 25), f64(new long[]{2, 4, 5, 3}, 26));
        TracedFunction inner = a -> Linalg.einsum("i,i->", t(a, 0), t(a, 1));                    // scalar examples
        check(inner, axes(0, 0), axes(0), f32(new long[]{6, 5}, 27), f32(new long[]{6, 5}, 28));
    }

    @Test
    void sliceConcatenatePad() {
        TracedFunction fn = a -> {
            Tensor x = t(a, 0);                                                          // [4, 5]
            Tensor s = Ops.slice(x, new long[]{1, 0}, new long[]{4, 5}, new long[]{2, 2}); // [2, 3]
            Tensor c = Ops.concat(0, s, t(a, 1));                                        // [2+3, 3]
            return Ops.pad(c, -1.0, new long[]{1, 0}, new long[]{0, 2}, new long[]{1, 0});
        };
        check(fn, axes(0, null), axes(0), f64(new long[]{3, 4, 5}, 29), f64(new long[]{3, 3}, 30));
        check(fn, axes(1, 2), axes(2), f64(new long[]{4, 2, 5}, 31), f64(new long[]{3, 3, 2}, 32));
    }
}
