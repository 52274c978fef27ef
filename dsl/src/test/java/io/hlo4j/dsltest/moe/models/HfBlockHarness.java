package io.hlo4j.dsltest.moe.models;

import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.moe.MoeMetrics;
import io.hlo4j.dsl.moe.MoeOutput;
import io.hlo4j.dsl.nn.StateDicts;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * Test support: random Hugging Face-layout weights ([out, in], row-major double matrices kept for the reference),
 * written to a safetensors file, and a runner that traces a block on the interpreter.
 */
final class HfBlockHarness {
    final Random rnd;
    /** Every tensor written, by its Hugging Face name, as doubles (the f32 values actually stored). */
    final Map<String, double[]> hf = new LinkedHashMap<>();
    final Map<String, long[]> shapes = new LinkedHashMap<>();

    HfBlockHarness(long seed) { rnd = new Random(seed); }

    /** A random tensor of the given shape, rounded to f32, scale times N(0, 1). */
    double[] put(String name, double scale, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) (scale * rnd.nextGaussian());
        hf.put(name, v);
        shapes.put(name, shape);
        return v;
    }

    double[] set(String name, double[] v, long... shape) {
        double[] f = new double[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        hf.put(name, f);
        shapes.put(name, shape);
        return f;
    }

    Path write(Path dir) throws IOException {
        Map<String, HostArray> state = new LinkedHashMap<>();
        hf.forEach((k, v) -> state.put(k, HostArray.fromDoubles(TensorType.of(FloatType.F32, shapes.get(k)), v)));
        Path file = dir.resolve("model.safetensors");
        StateDicts.saveSafetensors(file, state);
        return file;
    }

    double[] randomInput(int n, int h) {
        double[] x = new double[n * h];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    /** The block's results: output [B, S, H], selected experts and weights [N, k]. */
    record Run(double[] output, long[] experts, double[] weights) {}

    static Run run(double[] x, long b, long s, long h, Map<String, HostArray> weights,
                   BiFunction<Tensor, Map<String, Tensor>, MoeOutput> block) {
        List<String> names = new ArrayList<>(weights.keySet());
        HostArray[] argv = new HostArray[names.size() + 1];
        argv[0] = HostArray.fromDoubles(TensorType.of(FloatType.F32, b, s, h), x);
        for (int i = 0; i < names.size(); i++) argv[i + 1] = weights.get(names.get(i));
        Jit jit = Jit.jit(a -> {
            Map<String, Tensor> w = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) w.put(names.get(i), (Tensor) a[i + 1]);
            MoeOutput o = block.apply((Tensor) a[0], w);
            MoeMetrics<Tensor> m = o.metrics().orElseThrow();
            return List.of(o.output(), m.selectedExperts(), m.selectedWeights());
        });
        List<HostArray> r = jit.lower((Object[]) argv).compile().call(argv);
        return new Run(r.get(0).toDoubleArray(), r.get(1).toLongArray(), r.get(2).toDoubleArray());
    }

    // ------------------------------------------------------------------ plain per-token math for the references

    /** W [out, in] (row-major) times v [in]. */
    static double[] matvec(double[] w, int out, int in, double[] v, int off) {
        double[] r = new double[out];
        for (int o = 0; o < out; o++) {
            double acc = 0;
            for (int i = 0; i < in; i++) acc += w[o * in + i] * v[off + i];
            r[o] = acc;
        }
        return r;
    }

    /** softmax of logits, shifted by their max. */
    static double[] softmax(double[] l) {
        double[] p = new double[l.length];
        double mx = java.util.Arrays.stream(l).max().orElseThrow(), z = 0;
        for (int i = 0; i < l.length; i++) z += p[i] = Math.exp(l[i] - mx);
        for (int i = 0; i < l.length; i++) p[i] /= z;
        return p;
    }

    /** The routing weights of the experts {@code sel}: their probabilities, divided by their sum when {@code normalize}. */
    static double[] topKWeights(double[] p, int[] sel, boolean normalize) {
        double sum = 0;
        for (int j = 0; j < sel.length; j++) sum += p[sel[j]];
        double[] wt = new double[sel.length];
        for (int j = 0; j < sel.length; j++) wt[j] = normalize ? p[sel[j]] / sum : p[sel[j]];
        return wt;
    }

    static double silu(double a) { return a / (1 + Math.exp(-a)); }

    static double sigmoid(double a) { return 1 / (1 + Math.exp(-a)); }

    /** down(silu(gate x) * up x) with Hugging Face [out, in] matrices. */
    static double[] swiglu(double[] gate, double[] up, double[] down, int h, int m, double[] x, int off) {
        double[] a = matvec(gate, m, h, x, off), u = matvec(up, m, h, x, off), hid = new double[m];
        for (int j = 0; j < m; j++) hid[j] = silu(a[j]) * u[j];
        return matvec(down, h, m, hid, 0);
    }

    /** The k largest entries' indices, descending, equal values to the lower index. */
    static int[] topK(double[] v, int k) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (p, q) -> v[p] != v[q] ? Double.compare(v[q], v[p]) : Integer.compare(p, q));
        int[] r = new int[k];
        for (int i = 0; i < k; i++) r[i] = idx[i];
        return r;
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) m = Math.max(m, Math.abs(d));
        return m;
    }
}
