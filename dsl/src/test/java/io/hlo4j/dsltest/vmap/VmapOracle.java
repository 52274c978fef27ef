package io.hlo4j.dsltest.vmap;

import io.hlo4j.dsl.Pytree;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.vmap.Vmap;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.hlo4j.runtime.testing.BatchAxis.stack;
import static io.hlo4j.runtime.testing.BatchAxis.take;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The oracle of every vmap test: the unbatched function run on each example separately (on the interpreter) and the
 * results stacked along the out axis must equal the vmapped function run once on the whole batch.
 */
final class VmapOracle {
    private VmapOracle() {}

    static HostArray f64(long[] shape, long seed) {
        Random r = new Random(seed);
        TensorType t = TensorType.of(FloatType.F64, shape);
        double[] v = new double[(int) t.numElements()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble() * 2 - 1;
        return HostArray.fromDoubles(t, v);
    }

    /** Central differences (h = 1e-6) of the scalar {@code f(w, x)} in each element of {@code w}. */
    static double[] centralDifferences(Jit f, HostArray w, HostArray x) {
        double[] wv = w.toDoubleArray(), fd = new double[wv.length];
        for (int k = 0; k < wv.length; k++) {
            double[] p = wv.clone(), m = wv.clone();
            p[k] += 1e-6;
            m[k] -= 1e-6;
            fd[k] = (f.call1(HostArray.fromDoubles(w.type(), p), x).getDouble(0) - f.call1(HostArray.fromDoubles(w.type(), m), x).getDouble(0)) / 2e-6;
        }
        return fd;
    }

    static HostArray f32(long[] shape, long seed) { return f64(shape, seed).convert(FloatType.F32); }

    static HostArray i32(long[] shape, long seed, long bound) {
        Random r = new Random(seed);
        TensorType t = TensorType.of(IntegerType.I32, shape);
        long[] v = new long[(int) t.numElements()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt((int) bound);
        return HostArray.fromLongs(t, v);
    }

    /**
     * Runs {@code vmap(fn, inAxes, outAxes)} on {@code args} and checks each result leaf against the per-example
     * runs of {@code fn}, stacked. Arguments are single arrays (one leaf each); returns the vmapped results.
     */
    static List<HostArray> check(TracedFunction fn, Integer[] inAxes, Integer[] outAxes, HostArray... args) {
        List<HostArray> got = leaves(Jit.jit("vmapped", Vmap.vmap(fn, inAxes, outAxes)).call((Object[]) args));
        long n = -1;
        for (int a = 0; a < args.length; a++) {
            Integer ax = inAxes.length == 1 ? inAxes[0] : inAxes[a];
            if (ax != null) n = args[a].shape()[ax < 0 ? ax + args[a].rank() : ax];
        }
        Jit single = Jit.jit("single", fn);
        List<List<HostArray>> perExample = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object[] ex = new Object[args.length];
            for (int a = 0; a < args.length; a++) {
                Integer ax = inAxes.length == 1 ? inAxes[0] : inAxes[a];
                ex[a] = ax == null ? args[a] : take(args[a], ax < 0 ? ax + args[a].rank() : ax, i);
            }
            perExample.add(leaves(single.call(ex)));
        }
        assertThat(got).hasSameSizeAs(perExample.get(0));
        for (int j = 0; j < got.size(); j++) {
            Integer ax = outAxes.length == 1 ? outAxes[0] : outAxes[j];
            List<HostArray> col = new ArrayList<>();
            for (List<HostArray> ex : perExample) col.add(ex.get(j));
            HostArray want;
            if (ax == null) {
                want = col.get(0);
            } else {
                int rank = col.get(0).rank();
                want = stack(col, ax < 0 ? ax + rank + 1 : ax);
            }
            assertThat(got.get(j).shape()).as("result %d shape", j).containsExactly(want.shape());
            assertClose(got.get(j), want, "result " + j);
        }
        return got;
    }

    static void assertClose(HostArray got, HostArray want, String what) {
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        double tol = got.elementType() == FloatType.F32 ? 1e-5 : 1e-11;
        for (int k = 0; k < g.length; k++) {
            assertThat(g[k]).as("%s element %d", what, k).isCloseTo(w[k], org.assertj.core.data.Offset.offset(tol * Math.max(1, Math.abs(w[k]))));
        }
    }

    static List<HostArray> leaves(Object tree) {
        List<HostArray> out = new ArrayList<>();
        for (Object o : Pytree.leaves(tree)) out.add((HostArray) o);
        return out;
    }
}
