package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * {@link Liveness} on programs whose values are read late: by deferred broadcasts whose users run in a later fused
 * chain, twice by one op, by the terminator, only inside a while's condition or a nested while's body, by case
 * branches, a sort comparator and a reduce body, by a callee called from a loop, and after a collective sent them to
 * other simulated devices. A value unbound too early fails the run ("has no tensor value"); the results are checked
 * against values computed by hand (in Java's {@code Math}, or as integers).
 */
class LivenessRegionsTest {
    private static List<RtValue> run(String src, RtValue... in) {
        return new Interpreter(MlirParser.parseModule(src, "t.mlir")).run(List.of(in));
    }

    private static double[] d(RtValue v) { return ((Tensor) v).re; }

    private static long[] l(RtValue v) { return ((Tensor) v).ints; }

    private static Tensor f64(long[] shape, double... v) { return Tensor.ofDoubles(TensorType.of(FloatType.F64, shape), v); }

    @Test
    void deferredBroadcastOfAnArgumentReadByALaterChain() {
        double[] xs = new double[32];
        for (int i = 0; i < 32; i++) xs[i] = i * 0.1;
        var out = run("""
            func.func @main(%x: tensor<4x8xf64>, %s: tensor<4xf64>) -> tensor<4x8xf64> {
              %b = stablehlo.broadcast_in_dim %s, dims = [0] : (tensor<4xf64>) -> tensor<4x8xf64>
              %y = stablehlo.sine %x : tensor<4x8xf64>
              %y2 = stablehlo.cosine %y : tensor<4x8xf64>
              %r = stablehlo.add %y2, %b : tensor<4x8xf64>
              func.return %r : tensor<4x8xf64>
            }""", f64(new long[]{4, 8}, xs), f64(new long[]{4}, 1, 2, 3, 4));
        for (int i = 0; i < 32; i++) { // row i / 8 adds s[i / 8] = i / 8 + 1
            assertThat(d(out.get(0))[i]).isCloseTo(Math.cos(Math.sin(xs[i])) + (i / 8 + 1), offset(1e-12));
        }
    }

    @Test
    void deferredBroadcastOfAComputedValueReadByTwoChainsTheLastOneLater() {
        // %b is deferred: its users read %s where they run, the [sine, subtract] chain and then [exp, negate, add]
        double[] xs = new double[32];
        for (int i = 0; i < 32; i++) xs[i] = i * 0.1 - 1;
        var out = run("""
            func.func @main(%x: tensor<4x8xf64>, %s0: tensor<4xf64>) -> (tensor<4x8xf64>, tensor<4x8xf64>) {
              %s = stablehlo.multiply %s0, %s0 : tensor<4xf64>
              %b = stablehlo.broadcast_in_dim %s, dims = [0] : (tensor<4xf64>) -> tensor<4x8xf64>
              %y = stablehlo.sine %x : tensor<4x8xf64>
              %u = stablehlo.subtract %b, %y : tensor<4x8xf64>
              %z = stablehlo.exponential %x : tensor<4x8xf64>
              %z2 = stablehlo.negate %z : tensor<4x8xf64>
              %r = stablehlo.add %z2, %b : tensor<4x8xf64>
              func.return %u, %r : tensor<4x8xf64>, tensor<4x8xf64>
            }""", f64(new long[]{4, 8}, xs), f64(new long[]{4}, 1, 2, 3, 4));
        for (int i = 0; i < 32; i++) { // s = [1, 4, 9, 16], one per row of 8
            double s = (i / 8 + 1) * (i / 8 + 1);
            assertThat(d(out.get(0))[i]).isCloseTo(s - Math.sin(xs[i]), offset(1e-12));
            assertThat(d(out.get(1))[i]).isCloseTo(-Math.exp(xs[i]) + s, offset(1e-12));
        }
    }

    @Test
    void anIntegerBroadcastOfAComputedValueReadByTwoLaterOps() {
        // integer broadcasts are not deferred (BroadcastFusion takes f32/f64): %b is materialised and read twice
        var out = run("""
            func.func @main(%x: tensor<2x3xi32>, %s0: tensor<2xi32>) -> (tensor<2x3xi32>, tensor<2x3xi32>) {
              %s = stablehlo.multiply %s0, %s0 : tensor<2xi32>
              %b = stablehlo.broadcast_in_dim %s, dims = [0] : (tensor<2xi32>) -> tensor<2x3xi32>
              %n = stablehlo.negate %x : tensor<2x3xi32>
              %m = stablehlo.abs %n : tensor<2x3xi32>
              %r = stablehlo.add %m, %b : tensor<2x3xi32>
              %q = stablehlo.subtract %b, %n : tensor<2x3xi32>
              func.return %r, %q : tensor<2x3xi32>, tensor<2x3xi32>
            }""", Tensor.ofInts(TensorType.of(IntegerType.I32, 2, 3), new long[]{1, 2, 3, 4, 5, 6}),
                Tensor.ofInts(TensorType.of(IntegerType.I32, 2), new long[]{2, 3}));
        // s = [4, 9]; |-x| + b and b - (-x) are both x + s[row]
        assertThat(l(out.get(0))).containsExactly(5, 6, 7, 13, 14, 15);
        assertThat(l(out.get(1))).containsExactly(5, 6, 7, 13, 14, 15);
    }

    @Test
    void twiceReadByOneOpAndByTheTerminatorAndUnreadResults() {
        var out = run("""
            func.func @main(%x: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>, tensor<3xf64>) {
              %a = stablehlo.exponential %x : tensor<3xf64>
              %unused = stablehlo.negate %a : tensor<3xf64>
              %m = stablehlo.multiply %a, %a : tensor<3xf64>
              %w:2 = stablehlo.while(%i = %a, %j = %m) : tensor<3xf64>, tensor<3xf64>
                cond {
                  %z = stablehlo.constant dense<false> : tensor<i1>
                  stablehlo.return %z : tensor<i1>
                } do {
                  stablehlo.return %i, %j : tensor<3xf64>, tensor<3xf64>
                }
              func.return %m, %a, %w#1 : tensor<3xf64>, tensor<3xf64>, tensor<3xf64>
            }""", f64(new long[]{3}, 0, 1, 2));
        for (int i = 0; i < 3; i++) { // the loop's condition is false at once: it returns its initial values
            assertThat(d(out.get(0))[i]).isCloseTo(Math.exp(i) * Math.exp(i), offset(1e-9));
            assertThat(d(out.get(1))[i]).isCloseTo(Math.exp(i), offset(1e-12));
            assertThat(d(out.get(2))[i]).isCloseTo(Math.exp(i) * Math.exp(i), offset(1e-9));
        }
    }

    @Test
    void whileCondReadsAnOuterValueOnlyThereAndANestedWhileReadsTheOutermost() {
        var out = run("""
            func.func @main(%x: tensor<f64>) -> (tensor<i64>, tensor<f64>) {
              %zero = stablehlo.constant dense<0> : tensor<i64>
              %one = stablehlo.constant dense<1> : tensor<i64>
              %two = stablehlo.constant dense<2> : tensor<i64>
              %lim = stablehlo.add %two, %one : tensor<i64>
              %e = stablehlo.exponential %x : tensor<f64>
              %w:2 = stablehlo.while(%i = %zero, %acc = %x) : tensor<i64>, tensor<f64>
                cond {
                  %lt = stablehlo.compare LT, %i, %lim : (tensor<i64>, tensor<i64>) -> tensor<i1>
                  stablehlo.return %lt : tensor<i1>
                } do {
                  %j = stablehlo.add %i, %one : tensor<i64>
                  %v:2 = stablehlo.while(%k = %zero, %a2 = %acc) : tensor<i64>, tensor<f64>
                    cond {
                      %lt2 = stablehlo.compare LT, %k, %two : (tensor<i64>, tensor<i64>) -> tensor<i1>
                      stablehlo.return %lt2 : tensor<i1>
                    } do {
                      %k2 = stablehlo.add %k, %one : tensor<i64>
                      %s = stablehlo.add %a2, %e : tensor<f64>
                      stablehlo.return %k2, %s : tensor<i64>, tensor<f64>
                    }
                  stablehlo.return %j, %v#1 : tensor<i64>, tensor<f64>
                }
              func.return %w#0, %w#1 : tensor<i64>, tensor<f64>
            }""", f64(new long[]{}, 0.5));
        assertThat(l(out.get(0))).containsExactly(3);
        // 3 outer iterations, each adding e = exp(0.5) twice in the inner loop
        assertThat(d(out.get(1))[0]).isCloseTo(0.5 + 6 * Math.exp(0.5), offset(1e-12));
    }

    @Test
    void caseBranchesAndASortComparatorAndAReduceBodyReadOuterValues() {
        var out = run("""
            func.func @main(%x: tensor<4xf64>, %idx: tensor<i32>) -> (tensor<4xf64>, tensor<4xf64>, tensor<f64>) {
              %e = stablehlo.negate %x : tensor<4xf64>
              %t = stablehlo.constant dense<2.0> : tensor<f64>
              %t2 = stablehlo.multiply %t, %t : tensor<f64>
              %c = "stablehlo.case"(%idx) ({
                stablehlo.return %e : tensor<4xf64>
              }, {
                %q = stablehlo.abs %e : tensor<4xf64>
                stablehlo.return %q : tensor<4xf64>
              }) : (tensor<i32>) -> tensor<4xf64>
              %s = "stablehlo.sort"(%x) ({
                ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                  %da = stablehlo.subtract %a, %t2 : tensor<f64>
                  %db = stablehlo.subtract %b, %t2 : tensor<f64>
                  %aa = stablehlo.abs %da : tensor<f64>
                  %ab = stablehlo.abs %db : tensor<f64>
                  %l = stablehlo.compare LT, %aa, %ab : (tensor<f64>, tensor<f64>) -> tensor<i1>
                  stablehlo.return %l : tensor<i1>
              }) {dimension = 0 : i64, is_stable = true} : (tensor<4xf64>) -> tensor<4xf64>
              %z = stablehlo.constant dense<0.0> : tensor<f64>
              %r = stablehlo.reduce(%x init: %z) across dimensions = [0] : (tensor<4xf64>, tensor<f64>) -> tensor<f64>
                reducer(%p: tensor<f64>, %q: tensor<f64>) {
                  %u = stablehlo.add %p, %q : tensor<f64>
                  %v = stablehlo.add %u, %t2 : tensor<f64>
                  stablehlo.return %v : tensor<f64>
                }
              func.return %c, %s, %r : tensor<4xf64>, tensor<4xf64>, tensor<f64>
            }""", f64(new long[]{4}, 1, 5, 3, 10), Tensor.ofInts(TensorType.of(IntegerType.I32), new long[]{1}));
        assertThat(d(out.get(0))).as("branch 1: |-x|").containsExactly(1, 5, 3, 10);
        // by distance to t2 = 4 (3, 1, 1, 6), stable: 5 before 3
        assertThat(d(out.get(1))).as("sorted by |x - 4|").containsExactly(5, 3, 1, 10);
        // 4 elements and the init are combined 4 times, each adding t2 = 4 (exact in f64 in any order)
        assertThat(d(out.get(2))[0]).as("sum of x plus 4 per combination").isEqualTo(19 + 16);
    }

    @Test
    void aCalleeCalledFromALoopBodyManyTimes() {
        var out = run("""
            func.func @main(%x: tensor<f64>) -> tensor<f64> {
              %zero = stablehlo.constant dense<0> : tensor<i64>
              %one = stablehlo.constant dense<1> : tensor<i64>
              %n = stablehlo.constant dense<5> : tensor<i64>
              %w:2 = stablehlo.while(%i = %zero, %acc = %x) : tensor<i64>, tensor<f64>
                cond {
                  %lt = stablehlo.compare LT, %i, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
                  stablehlo.return %lt : tensor<i1>
                } do {
                  %j = stablehlo.add %i, %one : tensor<i64>
                  %s = func.call @f(%acc, %x) : (tensor<f64>, tensor<f64>) -> tensor<f64>
                  stablehlo.return %j, %s : tensor<i64>, tensor<f64>
                }
              func.return %w#1 : tensor<f64>
            }
            func.func @f(%a: tensor<f64>, %b: tensor<f64>) -> tensor<f64> {
              %u = stablehlo.add %a, %b : tensor<f64>
              %v = stablehlo.multiply %u, %b : tensor<f64>
              %dead = stablehlo.negate %a : tensor<f64>
              func.return %v : tensor<f64>
            }""", f64(new long[]{}, 2));
        double acc = 2;
        for (int k = 0; k < 5; k++) acc = (acc + 2) * 2;
        assertThat(d(out.get(0))[0]).isEqualTo(acc);
    }

    @Test
    void aValueSentThroughACollectiveIsReadAgainAfterIt() {
        String src = """
            func.func @main(%x: tensor<1024xf64>) -> tensor<1024xf64> {
              %e = stablehlo.exponential %x : tensor<1024xf64>
              %r = "stablehlo.all_reduce"(%e) ({
                ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                  %0 = stablehlo.add %a, %b : tensor<f64>
                  stablehlo.return %0 : tensor<f64>
              }) {replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>, channel_handle = #stablehlo.channel_handle<handle = 1, type = 1>, use_global_device_ids} : (tensor<1024xf64>) -> tensor<1024xf64>
              %g = "stablehlo.all_gather"(%e) {all_gather_dim = 0 : i64, replica_groups = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>, channel_handle = #stablehlo.channel_handle<handle = 2, type = 1>, use_global_device_ids} : (tensor<1024xf64>) -> tensor<4096xf64>
              %s = stablehlo.subtract %r, %e : tensor<1024xf64>
              %n = stablehlo.negate %s : tensor<1024xf64>
              %sl = stablehlo.slice %g [0:1024] : (tensor<4096xf64>) -> tensor<1024xf64>
              %o = stablehlo.add %n, %sl : tensor<1024xf64>
              func.return %o : tensor<1024xf64>
            }""";
        Interpreter in = new Interpreter(MlirParser.parseModule(src, "c.mlir"));
        List<List<RtValue>> ins = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            double[] v = new double[1024];
            for (int i = 0; i < 1024; i++) v[i] = p * 0.25 + i * 1e-3;
            ins.add(List.of(f64(new long[]{1024}, v)));
        }
        for (int rep = 0; rep < 3; rep++) { // the cached plans and liveness serve every run
            var out = in.runParallel("main", 1, 4, ins);
            for (int p = 0; p < 4; p++) {
                for (int i = 0; i < 1024; i += 37) {
                    // -(sum over devices of exp(x) - own exp(x)) + device 0's exp(x), gathered
                    double sum = 0;
                    for (int q = 0; q < 4; q++) sum += Math.exp(q * 0.25 + i * 1e-3);
                    double want = -(sum - Math.exp(p * 0.25 + i * 1e-3)) + Math.exp(i * 1e-3);
                    assertThat(d(out.get(p).get(0))[i]).as("device " + p + " element " + i).isCloseTo(want, offset(1e-9));
                }
            }
        }
    }
}
