package io.hlo4j.dsltest.vmap;

import io.hlo4j.dsl.Control;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Indexing;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Reductions;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.TracedFunction;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Supplier;

import static io.hlo4j.dsl.vmap.Vmap.axes;
import static io.hlo4j.dsltest.vmap.VmapOracle.check;
import static io.hlo4j.dsltest.vmap.VmapOracle.f64;
import static io.hlo4j.dsltest.vmap.VmapOracle.i32;

/** Indexing (dynamic slices, gather, scatter, sort, top_k) and control flow under vmap, against per-example runs. */
class VmapIndexingControlTest {
    static Tensor t(Object[] a, int i) { return (Tensor) a[i]; }

    @Test
    void dynamicSliceAtBatchedAndUnbatchedStarts() {
        // starts [2] i32; out-of-range starts are clamped per example, as dynamic_slice does
        TracedFunction fn = a -> {
            Tensor s = t(a, 1);
            List<Tensor> starts = List.of(Ops.reshape(Ops.slice(s, new long[]{0}, new long[]{1}), new long[0]),
                    Ops.reshape(Ops.slice(s, new long[]{1}, new long[]{2}), new long[0]));
            return Ops.dynamicSlice(t(a, 0), starts, 2, 3);
        };
        check(fn, axes(0, 0), axes(0), f64(new long[]{5, 4, 6}, 1), i32(new long[]{5, 2}, 2, 6));   // both batched
        check(fn, axes(null, 0), axes(1), f64(new long[]{4, 6}, 3), i32(new long[]{5, 2}, 4, 6));    // starts only
        check(fn, axes(1, null), axes(0), f64(new long[]{4, 5, 6}, 5), i32(new long[]{2}, 6, 4));     // operand only
    }

    @Test
    void dynamicUpdateSliceAtBatchedStarts() {
        TracedFunction fn = a -> {
            Tensor s = t(a, 2);
            List<Tensor> starts = List.of(Ops.reshape(Ops.slice(s, new long[]{0}, new long[]{1}), new long[0]),
                    Ops.reshape(Ops.slice(s, new long[]{1}, new long[]{2}), new long[0]));
            return Ops.dynamicUpdateSlice(t(a, 0), t(a, 1), starts);
        };
        check(fn, axes(0, null, 0), axes(0), f64(new long[]{5, 4, 6}, 7), f64(new long[]{2, 3}, 8), i32(new long[]{5, 2}, 9, 7));
        check(fn, axes(null, 0, null), axes(0), f64(new long[]{4, 6}, 10), f64(new long[]{5, 2, 3}, 11), i32(new long[]{2}, 12, 4));
        check(fn, axes(null, null, 1), axes(2), f64(new long[]{4, 6}, 13), f64(new long[]{2, 3}, 14), i32(new long[]{2, 5}, 15, 7));
    }

    @Test
    void gatherAndScatterThroughTakeAndScatterAdd() {
        TracedFunction take = a -> Indexing.takeInBounds(t(a, 0), t(a, 1), 0);          // x [6, 3], idx [4]
        check(take, axes(null, 0), axes(0), f64(new long[]{6, 3}, 16), i32(new long[]{5, 4}, 17, 6));
        check(take, axes(2, null), axes(1), f64(new long[]{6, 3, 5}, 18), i32(new long[]{4}, 19, 6));
        check(take, axes(0, 1), axes(0), f64(new long[]{5, 6, 3}, 20), i32(new long[]{4, 5}, 21, 6));
        TracedFunction along = a -> Indexing.takeAlongAxis(t(a, 0), t(a, 1), 1);
        check(along, axes(0, 0), axes(0), f64(new long[]{3, 2, 5}, 22), i32(new long[]{3, 2, 5}, 23, 5));
        TracedFunction alongBare = a -> Indexing.takeAlongAxisInBounds(t(a, 0), t(a, 1), 1);   // the bare gather MoE routing uses
        check(alongBare, axes(0, 0), axes(0), f64(new long[]{3, 2, 5}, 22), i32(new long[]{3, 2, 5}, 23, 5));
        TracedFunction sa = a -> Indexing.scatterAdd(t(a, 0), t(a, 1), t(a, 2), 0);  // x [5, 2], idx [3], upd [3, 2]
        check(sa, axes(0, 0, 0), axes(0), f64(new long[]{4, 5, 2}, 24), i32(new long[]{4, 3}, 25, 5), f64(new long[]{4, 3, 2}, 26));
        check(sa, axes(null, 0, null), axes(1), f64(new long[]{5, 2}, 27), i32(new long[]{4, 3}, 28, 5), f64(new long[]{3, 2}, 29));
    }

    @Test
    void sortAndTopK() {
        TracedFunction fn = a -> {
            List<Tensor> tk = Indexing.topK(t(a, 0), 2);
            return List.of(Indexing.sort(t(a, 0), 0), Indexing.argsort(t(a, 0), 1), tk.get(0), tk.get(1));
        };
        check(fn, axes(0), axes(0), f64(new long[]{3, 4, 5}, 30));
        check(fn, axes(2), axes(1), f64(new long[]{4, 5, 3}, 31));
    }

    @Test
    void condWithBatchedAndUnbatchedPredicate() {
        TracedFunction fn = a -> Control.cond(Ops.gt(Reductions.sum(t(a, 1)), 0.0),
                () -> List.of(Ops.mul(t(a, 0), 2.0), Reductions.sum(t(a, 0))),
                () -> List.of(Ops.sin(t(a, 0)), Reductions.max(t(a, 1))));
        check(fn, axes(0, 0), axes(0), f64(new long[]{6, 3}, 32), f64(new long[]{6, 2}, 33));      // batched predicate
        check(fn, axes(0, null), axes(0), f64(new long[]{6, 3}, 34), f64(new long[]{2}, 35));      // branches batched only
        TracedFunction sw = a -> Control.switchCase(Ops.astype(t(a, 1), DType.I32), List.<Supplier<List<Tensor>>>of(
                () -> List.of(Ops.neg(t(a, 0))), () -> List.of(Ops.exp(t(a, 0))), () -> List.of(Ops.mul(t(a, 0), t(a, 0)))));
        check(sw, axes(0, 0), axes(0), f64(new long[]{7, 3}, 36), i32(new long[]{7}, 37, 5));       // 3 and 4 run the last branch
    }

    @Test
    void whileWithBatchedTripCountRunsUntilAllAreDone() {
        // Halve x until its norm is below a per-example threshold; count the steps.
        TracedFunction fn = a -> Control.whileLoop(List.of(t(a, 0), Ops.scalar(0, DType.F64)),
                c -> Ops.gt(Reductions.sum(Ops.square(c.get(0))), t(a, 1)),
                c -> List.of(Ops.mul(c.get(0), 0.5), Ops.add(c.get(1), 1.0)));
        check(fn, axes(0, 0), axes(0), f64(new long[]{5, 3}, 38).convert(io.hlo4j.mlir.types.FloatType.F64),
                io.hlo4j.runtime.array.HostArray.fromDoubles(io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.FloatType.F64, 5),
                        1e-1, 1e-3, 1e-5, 2.0, 1e-2));
        // fixed trip count, carry batched only through the body
        TracedFunction fori = a -> Control.foriLoop(0, 3, (i, c) -> List.of(Ops.add(Ops.mul(c.get(0), t(a, 0)), 1.0)),
                List.of(Ops.full(io.hlo4j.dsl.Shape.of(3), 0.0, DType.F64)));
        check(fori, axes(1), axes(1), f64(new long[]{3, 4}, 39));
    }
}
