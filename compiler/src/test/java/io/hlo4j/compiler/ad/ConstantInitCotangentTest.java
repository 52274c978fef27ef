package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reduction whose init is a constant (or a convert of one) builds no cotangent for it: nothing removes dead ops
 * from {@link Autodiff}'s output and the interpreter runs every op, so a softmax's max reduce would pay a compare,
 * an and, a select and a sum per call, and a cumsum-shaped window sum a pad, a reduce_window and a sum. Each program
 * is counted op by op against the same program with the init an argument, and its gradient is checked against
 * finite differences.
 */
class ConstantInitCotangentTest {
    private final Random r = new Random(31);

    /** How many ops of each name the body of the VJP of {@code @f} holds (nested regions not counted). */
    private static Map<String, Integer> vjpOps(String func, int[] wrt) {
        Module vm = GradCheck.vjpModule(GradCheck.parse(func), wrt);
        Map<String, Integer> n = new TreeMap<>();
        for (Operation op : vm.symbols().lookup("vjp").region(0).entry().operations()) n.merge(op.name(), 1, Integer::sum);
        return n;
    }

    private static int count(Map<String, Integer> ops, String name) { return ops.getOrDefault("stablehlo." + name, 0); }

    /** {@code x - max(x)} over dim 1 (softmax's shift), the init {@code INIT} defined by {@code DEF}. */
    private static String shiftByMax(String args, String def, String init) {
        return """
                func.func @f(%x: tensor<2x3xf64>ARGS) -> tensor<2x3xf64> {
                  DEF
                  %m = stablehlo.reduce(%x init: INIT) applies stablehlo.maximum across dimensions = [1] : (tensor<2x3xf64>, tensor<f64>) -> tensor<2xf64>
                  %b = stablehlo.broadcast_in_dim %m, dims = [0] : (tensor<2xf64>) -> tensor<2x3xf64>
                  %0 = stablehlo.subtract %x, %b : tensor<2x3xf64>
                  return %0 : tensor<2x3xf64>
                }""".replace("ARGS", args).replace("DEF", def).replace("INIT", init);
    }

    @Test
    void softmaxShiftWithTheConstantIdentityBuildsNoInitCotangent() {
        String constant = shiftByMax("", "%c = stablehlo.constant dense<0xFFF0000000000000> : tensor<f64>", "%c");
        Map<String, Integer> c = vjpOps(constant, new int[] {0});
        // the element mask (one compare, one select), its count (a reduce), the share: no init == y, no and, no sum for the init
        assertThat(count(c, "compare")).isEqualTo(1);
        assertThat(count(c, "and")).isZero();
        assertThat(count(c, "select")).isEqualTo(1);
        assertThat(count(c, "reduce")).isEqualTo(3); // the forward max, the broadcast's transpose, the count
        Map<String, Integer> a = vjpOps(shiftByMax(", %i: tensor<f64>", "", "%i"), new int[] {0, 1});
        assertThat(count(a, "compare")).isEqualTo(3);
        assertThat(count(a, "and")).isEqualTo(1);
        assertThat(count(a, "reduce")).isEqualTo(4);
        GradCheck.check(constant, List.of(uniform(f64(2, 3), r, -1, 1)), 1);
        // a convert of a constant (an f32 program's init) needs none either
        String converted = shiftByMax("", "%c0 = stablehlo.constant dense<-1.0e30> : tensor<f32>\n  %c = stablehlo.convert %c0 : (tensor<f32>) -> tensor<f64>", "%c");
        Map<String, Integer> v = vjpOps(converted, new int[] {0});
        assertThat(count(v, "and")).isZero();
        assertThat(count(v, "compare")).isEqualTo(1);
        GradCheck.check(converted, List.of(uniform(f64(2, 3), r, -1, 1)), 2);
    }

    /** A cumsum-shaped window sum over x: f64[8] (window 8, padded 7 low), the init {@code INIT}. */
    private static String cumsum(String args, String def, String init) {
        return """
                func.func @f(%x: tensor<8xf64>ARGS) -> tensor<8xf64> {
                  DEF
                  %0 = "stablehlo.reduce_window"(%x, INIT) <{window_dimensions = array<i64: 8>, window_strides = array<i64: 1>,
                      padding = dense<[[7, 0]]> : tensor<1x2xi64>}> ({
                    ^bb0(%p: tensor<f64>, %q: tensor<f64>):
                      %s = "stablehlo.add"(%p, %q) : (tensor<f64>, tensor<f64>) -> tensor<f64>
                      "stablehlo.return"(%s) : (tensor<f64>) -> ()
                  }) : (tensor<8xf64>, tensor<f64>) -> tensor<8xf64>
                  return %0 : tensor<8xf64>
                }""".replace("ARGS", args).replace("DEF", def).replace("INIT", init);
    }

    @Test
    void cumsumShapedWindowSumWithAConstantInitBuildsNoInitCotangent() {
        String constant = cumsum("", "%c = stablehlo.constant dense<0.0> : tensor<f64>", "%c");
        Map<String, Integer> c = vjpOps(constant, new int[] {0});
        assertThat(count(c, "reduce_window")).isEqualTo(2); // the forward sum and its transpose
        assertThat(count(c, "pad")).isEqualTo(1);
        assertThat(count(c, "reduce")).isZero();
        Map<String, Integer> a = vjpOps(cumsum(", %i: tensor<f64>", "", "%i"), new int[] {0, 1});
        assertThat(count(a, "reduce_window")).isEqualTo(3);
        assertThat(count(a, "pad")).isEqualTo(2);
        assertThat(count(a, "reduce")).isEqualTo(1);
        GradCheck.check(constant, List.of(uniform(f64(8), r, -1, 1)), 3);
    }

    @Test
    void sumProductAndWindowMaxWithAConstantInitBuildNoInitCotangent() {
        for (String fn : List.of("add", "multiply")) {
            String text = """
                    func.func @f(%x: tensor<3x4xf64>) -> tensor<3xf64> {
                      %c = stablehlo.constant dense<0.5> : tensor<f64>
                      %0 = stablehlo.reduce(%x init: %c) applies stablehlo.FN across dimensions = [1] : (tensor<3x4xf64>, tensor<f64>) -> tensor<3xf64>
                      return %0 : tensor<3xf64>
                    }""".replace("FN", fn);
            assertThat(count(vjpOps(text, new int[] {0}), "reduce")).as(fn).isEqualTo(1); // the forward one only
            GradCheck.check(text, List.of(uniform(f64(3, 4), r, -1, 1)), 4);
        }
        // max pooling with a finite constant init (0: a relu) still asks where it wins, for the elements, but sums nothing for it
        String pool = """
                func.func @f(%x: tensor<6xf64>) -> tensor<5xf64> {
                  %c = stablehlo.constant dense<0.0> : tensor<f64>
                  %0 = "stablehlo.reduce_window"(%x, %c) <{window_dimensions = array<i64: 2>, window_strides = array<i64: 1>}> ({
                    ^bb0(%p: tensor<f64>, %q: tensor<f64>):
                      %s = "stablehlo.maximum"(%p, %q) : (tensor<f64>, tensor<f64>) -> tensor<f64>
                      "stablehlo.return"(%s) : (tensor<f64>) -> ()
                  }) : (tensor<6xf64>, tensor<f64>) -> tensor<5xf64>
                  return %0 : tensor<5xf64>
                }""";
        Map<String, Integer> p = vjpOps(pool, new int[] {0});
        assertThat(count(p, "reduce")).isZero();
        assertThat(count(p, "select_and_scatter")).isEqualTo(1);
        GradCheck.check(pool, List.of(HostArray.fromDoubles(f64(6), -0.5, 0.3, -0.2, -0.7, 0.9, 0.1)), 5);
        // with the identity init it asks nothing: the forward reduce_window alone, no compare
        Map<String, Integer> id = vjpOps(pool.replace("dense<0.0>", "dense<0xFFF0000000000000>"), new int[] {0});
        assertThat(count(id, "reduce_window")).isEqualTo(1);
        assertThat(count(id, "compare")).isZero();
    }
}
