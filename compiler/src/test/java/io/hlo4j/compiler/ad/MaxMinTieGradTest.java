package io.hlo4j.compiler.ad;

import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ties of reduce and reduce_window max/min, where finite differences do not apply, against cotangents worked out by
 * hand: elements win ties with the init (a reduce splits the cotangent evenly among the elements equal to the
 * result, as JAX's reduce_max; a window gives it to the first of them, as select_and_scatter picks), and the init
 * gets it only where no element reaches the result. The identity init -inf (max, softmax, cummax) never takes a share.
 */
class MaxMinTieGradTest {
    private static final double NI = Double.NEGATIVE_INFINITY, PI = Double.POSITIVE_INFINITY;

    /** Cotangents of the VJP of {@code @f} in every argument, for cotangent {@code ct} of its one result. */
    private static List<double[]> grads(String func, int nargs, List<HostArray> args, HostArray ct) {
        int[] wrt = new int[nargs];
        for (int i = 0; i < nargs; i++) wrt[i] = i;
        List<HostArray> in = new ArrayList<>(args);
        in.add(ct);
        List<HostArray> out = new Interpreter(GradCheck.vjpModule(GradCheck.parse(func), wrt)).runHost("vjp", in);
        List<double[]> g = new ArrayList<>();
        for (int i = 1; i < out.size(); i++) g.add(out.get(i).toDoubleArray());
        return g;
    }

    private static HostArray v(double... xs) { return HostArray.fromDoubles(f64(xs.length), xs); }

    private static HostArray s(double x) { return HostArray.fromDoubles(f64(), x); }

    /** reduce over dim 1 of x: f64[R, C], init a constant (CONST is its hex) or argument %i. */
    private static String reduce(String fn, long rows, long cols, String constInit) {
        String init = constInit != null ? "%c" : "%i";
        String sig = constInit != null ? "%x: tensor<RxCxf64>" : "%x: tensor<RxCxf64>, %i: tensor<f64>";
        String c = constInit != null ? "  %c = stablehlo.constant dense<" + constInit + "> : tensor<f64>\n" : "";
        return ("func.func @f(" + sig + ") -> tensor<Rxf64> {\n" + c
                + "  %0 = stablehlo.reduce(%x init: " + init + ") applies stablehlo.FN across dimensions = [1] : (tensor<RxCxf64>, tensor<f64>) -> tensor<Rxf64>\n"
                + "  return %0 : tensor<Rxf64>\n}").replace("FN", fn).replace("R", Long.toString(rows)).replace("C", Long.toString(cols));
    }

    /** A 1-D reduce_window of x: f64[N] to f64[M], init a constant (CONST is its hex) or argument %i. */
    private static String window(String fn, long n, long m, String attrs, String constInit) {
        String init = constInit != null ? "%c" : "%i";
        String sig = constInit != null ? "%x: tensor<Nxf64>" : "%x: tensor<Nxf64>, %i: tensor<f64>";
        String c = constInit != null ? "  %c = stablehlo.constant dense<" + constInit + "> : tensor<f64>\n" : "";
        return ("func.func @f(" + sig + ") -> tensor<Mxf64> {\n" + c
                + "  %0 = \"stablehlo.reduce_window\"(%x, " + init + ") <{" + attrs + "}> ({\n"
                + "    ^bb0(%p: tensor<f64>, %q: tensor<f64>):\n"
                + "      %r = \"stablehlo.FN\"(%p, %q) : (tensor<f64>, tensor<f64>) -> tensor<f64>\n"
                + "      \"stablehlo.return\"(%r) : (tensor<f64>) -> ()\n"
                + "  }) : (tensor<Nxf64>, tensor<f64>) -> tensor<Mxf64>\n"
                + "  return %0 : tensor<Mxf64>\n}").replace("FN", fn).replace("N", Long.toString(n)).replace("M", Long.toString(m));
    }

    private static final String NEG_INF = "0xFFF0000000000000";

    @Test
    void reduceMaxOfMinusInfinitiesWithTheIdentityInitSplitsAmongTheElements() {
        // row 0: max(-inf; -inf, -inf) = -inf, both elements tie: 1/2 each (the init -inf takes nothing); row 1: 0.5 wins
        List<double[]> g = grads(reduce("maximum", 2, 2, NEG_INF), 1,
                List.of(HostArray.fromDoubles(f64(2, 2), NI, NI, NI, 0.5)), v(2, 3));
        assertThat(g.get(0)).containsExactly(1, 1, 0, 3);
    }

    @Test
    void reduceMaxWithAFiniteInitOfTheProgramGivesTiesToTheElements() {
        // init 0.2; row 0 ties two elements with the init: 1/2 each, the init 0; row 1: no element reaches 0.2, the init
        // takes 10; row 2: 0.7 twice, 50 each
        List<double[]> g = grads(reduce("maximum", 3, 3, null), 2,
                List.of(HostArray.fromDoubles(f64(3, 3), 0.2, 0.2, -1, -0.5, -0.3, 0.1, 0.7, 0.2, 0.7), s(0.2)), v(1, 10, 100));
        assertThat(g.get(0)).containsExactly(0.5, 0.5, 0, 0, 0, 0, 50, 0, 50);
        assertThat(g.get(1)).containsExactly(10);
        // min mirrors it; an init of -inf as a value of the program ties with an all -inf row and takes nothing
        g = grads(reduce("minimum", 3, 3, null), 2,
                List.of(HostArray.fromDoubles(f64(3, 3), -0.2, -0.2, 1, 0.5, 0.3, -0.1, -0.7, -0.2, -0.7), s(-0.2)), v(1, 10, 100));
        assertThat(g.get(0)).containsExactly(0.5, 0.5, 0, 0, 0, 0, 50, 0, 50);
        assertThat(g.get(1)).containsExactly(10);
        g = grads(reduce("maximum", 1, 2, null), 2, List.of(HostArray.fromDoubles(f64(1, 2), NI, NI), s(NI)), v(4));
        assertThat(g.get(0)).containsExactly(2, 2);
        assertThat(g.get(1)).containsExactly(0);
    }

    @Test
    void cummaxShapedWindowOverMinusInfinityGivesItsCotangentToTheElement() {
        // windows [pad, pad, x0], [pad, x0, x1], [x0, x1, x2] of x = [-inf, 0.5, 0.2]: y = [-inf, 0.5, 0.5]; x0 reaches
        // y_0 = -inf, so it takes 1 whether the -inf init is the constant identity or a value of the program
        String attrs = "window_dimensions = array<i64: 3>, window_strides = array<i64: 1>, padding = dense<[[2, 0]]> : tensor<1x2xi64>";
        List<double[]> g = grads(window("maximum", 3, 3, attrs, NEG_INF), 1, List.of(v(NI, 0.5, 0.2)), v(1, 10, 100));
        assertThat(g.get(0)).containsExactly(1, 110, 0);
        g = grads(window("maximum", 3, 3, attrs, null), 2, List.of(v(NI, 0.5, 0.2), s(NI)), v(1, 10, 100));
        assertThat(g.get(0)).containsExactly(1, 110, 0);
        assertThat(g.get(1)).containsExactly(0);
    }

    @Test
    void windowMaxAndMinWithAFiniteInitGiveTiesToTheSelectedElement() {
        // init 0.3: [0.3, 0.1] ties, x0 takes 1; [0.1, -0.4]: the init wins, 10; [-0.4, 0.3] ties, x3 takes 100
        String attrs = "window_dimensions = array<i64: 2>, window_strides = array<i64: 1>";
        List<double[]> g = grads(window("maximum", 4, 3, attrs, null), 2, List.of(v(0.3, 0.1, -0.4, 0.3), s(0.3)), v(1, 10, 100));
        assertThat(g.get(0)).containsExactly(1, 0, 0, 100);
        assertThat(g.get(1)).containsExactly(10);
        g = grads(window("minimum", 4, 3, attrs, null), 2, List.of(v(-0.3, -0.1, 0.4, -0.3), s(-0.3)), v(1, 10, 100));
        assertThat(g.get(0)).containsExactly(1, 0, 0, 100);
        assertThat(g.get(1)).containsExactly(10);
    }

    @Test
    void reduceAndAWholeWindowAgreeOnAFiniteInitTie() {
        // max(0.3; 0.3, 0.1) as a reduce and as one window over both elements: x0 takes it all, the init nothing
        List<double[]> r = grads(reduce("maximum", 1, 2, null), 2, List.of(HostArray.fromDoubles(f64(1, 2), 0.3, 0.1), s(0.3)), v(5));
        List<double[]> w = grads(window("maximum", 2, 1, "window_dimensions = array<i64: 2>", null), 2, List.of(v(0.3, 0.1), s(0.3)), v(5));
        assertThat(r.get(0)).containsExactly(5, 0);
        assertThat(w.get(0)).containsExactly(r.get(0));
        assertThat(w.get(1)).containsExactly(r.get(1)).containsExactly(0);
    }

    @Test
    void formatsWithoutInfinitiesGiveWindowTiesToTheElementToo() {
        // f8E4M3FN has no infinities (-inf encodes as NaN): max(0.5; 0.5, 0.25) as one window and as a reduce, x0 takes
        // the cotangent, the init nothing, as in f64 (the window's largest element was a reduce_window from -inf, which
        // was NaN there, so no element ever reached y and the init took all); min mirrors it, and f8E4M3FNUZ too
        for (io.hlo4j.mlir.types.FloatKind k : List.of(io.hlo4j.mlir.types.FloatKind.F8E4M3FN, io.hlo4j.mlir.types.FloatKind.F8E4M3FNUZ)) {
            io.hlo4j.mlir.types.FloatType f8 = new io.hlo4j.mlir.types.FloatType(k);
            String et = f8.toString();
            for (String fn : List.of("maximum", "minimum")) {
                double sign = fn.equals("maximum") ? 1 : -1;
                String w = window(fn, 2, 1, "window_dimensions = array<i64: 2>", null).replace("f64", et);
                List<double[]> g = grads(w, 2, List.of(HostArray.fromDoubles(io.hlo4j.mlir.types.TensorType.of(f8, 2), sign * 0.5, sign * 0.25),
                        HostArray.fromDoubles(io.hlo4j.mlir.types.TensorType.of(f8), sign * 0.5)), HostArray.fromDoubles(io.hlo4j.mlir.types.TensorType.of(f8, 1), 1));
                assertThat(g.get(0)).as("%s window %s", et, fn).containsExactly(1, 0);
                assertThat(g.get(1)).as("%s window %s init", et, fn).containsExactly(0);
            }
        }
    }

    @Test
    void aWindowOfPaddingAloneGivesItsCotangentToTheInit() {
        // x = [0.5], window 2 padded [2, 0]: window 0 reads padding alone (y_0 = the init), window 1 reads x0
        String attrs = "window_dimensions = array<i64: 2>, window_strides = array<i64: 1>, padding = dense<[[2, 0]]> : tensor<1x2xi64>";
        for (double init : new double[] {NI, 0.2}) {
            List<double[]> g = grads(window("maximum", 1, 2, attrs, null), 2, List.of(v(0.5), s(init)), v(1, 10));
            assertThat(g.get(0)).as("init %s", init).containsExactly(10);
            assertThat(g.get(1)).as("init %s", init).containsExactly(1);
        }
        List<double[]> g = grads(window("minimum", 1, 2, attrs, null), 2, List.of(v(-0.5), s(PI)), v(1, 10));
        assertThat(g.get(0)).containsExactly(10);
        assertThat(g.get(1)).containsExactly(1);
    }
}
