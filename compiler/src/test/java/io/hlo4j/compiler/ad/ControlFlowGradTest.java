package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/** if/case with captured values, while loops (fori and data-dependent), func.call: FD-checked gradients. */
class ControlFlowGradTest {
    private final Random r = new Random(777);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void ifWithCapturedValues(boolean pred) {
        GradCheck.check("""
                func.func @f(%p: tensor<i1>, %x: tensor<3xf64>, %y: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "stablehlo.if"(%p) ({
                    %a = stablehlo.multiply %x, %y : tensor<3xf64>
                    stablehlo.return %a : tensor<3xf64>
                  }, {
                    %b = stablehlo.sine %x : tensor<3xf64>
                    stablehlo.return %b : tensor<3xf64>
                  }) : (tensor<i1>) -> tensor<3xf64>
                  %1 = stablehlo.multiply %0, %x : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }""", List.of(HostArray.fromBooleans(TensorType.scalar(IntegerType.I1), pred), u(3), u(3)), 31);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 7})
    void caseSelectsABranch(int index) {
        GradCheck.check("""
                func.func @f(%i: tensor<i32>, %x: tensor<2xf64>) -> (tensor<2xf64>, tensor<2xf64>) {
                  %0:2 = "stablehlo.case"(%i) ({
                    %a = stablehlo.exponential %x : tensor<2xf64>
                    stablehlo.return %a, %x : tensor<2xf64>, tensor<2xf64>
                  }, {
                    %b = stablehlo.multiply %x, %x : tensor<2xf64>
                    stablehlo.return %b, %b : tensor<2xf64>, tensor<2xf64>
                  }, {
                    %c = stablehlo.tanh %x : tensor<2xf64>
                    stablehlo.return %x, %c : tensor<2xf64>, tensor<2xf64>
                  }) : (tensor<i32>) -> (tensor<2xf64>, tensor<2xf64>)
                  return %0#0, %0#1 : tensor<2xf64>, tensor<2xf64>
                }""", List.of(HostArray.fromLongs(TensorType.scalar(IntegerType.I32), index), u(2)), 32);
    }

    static final String RNN = """
                func.func @f(%w: tensor<3x3xf64>, %xs: tensor<4x3xf64>, %h0: tensor<3xf64>) -> tensor<3xf64> {
                  %c0 = stablehlo.constant dense<0> : tensor<i64>
                  %r:2 = stablehlo.while(%t = %c0, %h = %h0) : tensor<i64>, tensor<3xf64>
                   cond {
                    %n = stablehlo.constant dense<4> : tensor<i64>
                    %lt = stablehlo.compare LT, %t, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
                    stablehlo.return %lt : tensor<i1>
                  } do {
                    %z = stablehlo.constant dense<0> : tensor<i64>
                    %row = "stablehlo.dynamic_slice"(%xs, %t, %z) {slice_sizes = array<i64: 1, 3>} : (tensor<4x3xf64>, tensor<i64>, tensor<i64>) -> tensor<1x3xf64>
                    %x = stablehlo.reshape %row : (tensor<1x3xf64>) -> tensor<3xf64>
                    %wh = stablehlo.dot_general %w, %h, contracting_dims = [1] x [0] : (tensor<3x3xf64>, tensor<3xf64>) -> tensor<3xf64>
                    %s = stablehlo.add %wh, %x : tensor<3xf64>
                    %hn = stablehlo.tanh %s : tensor<3xf64>
                    %one = stablehlo.constant dense<1> : tensor<i64>
                    %tn = stablehlo.add %t, %one : tensor<i64>
                    stablehlo.return %tn, %hn : tensor<i64>, tensor<3xf64>
                  }
                  return %r#1 : tensor<3xf64>
                }""";

    @Test
    void foriLoopSavesPerIterationCarriesInsteadOfRecomputing() {
        // Scan-style: one forward while (stacking carries) and one backward while, no nested recomputation loop.
        var g = Autodiff.vjp(GradCheck.parse(RNN), "f", new int[] {0, 1, 2}, "g");
        int[] whiles = {0};
        walk(g, op -> { if (op.name().equals("stablehlo.while")) whiles[0]++; });
        org.assertj.core.api.Assertions.assertThat(whiles[0]).isEqualTo(2);
        var d = Autodiff.vjp(GradCheck.parse(RNN.replace("dense<1> : tensor<i64>\n", "dense<1> : tensor<i64>\n")
                .replace("%one = stablehlo.constant dense<1>", "%one = stablehlo.constant dense<2>")), "f", new int[] {0}, "g2");
        int[] w2 = {0};
        walk(d, op -> { if (op.name().equals("stablehlo.while")) w2[0]++; });
        org.assertj.core.api.Assertions.assertThat(w2[0]).as("step 2 is not fori-style: recomputation").isEqualTo(4);
    }

    private static void walk(io.hlo4j.mlir.ir.Operation op, java.util.function.Consumer<io.hlo4j.mlir.ir.Operation> f) {
        f.accept(op);
        for (var reg : op.regions()) for (var blk : reg.blocks()) for (var o : blk.operations()) walk(o, f);
    }

    @Test
    void foriLoopWithStepTwoUsesRecomputation() {
        GradCheck.check(RNN.replace("%one = stablehlo.constant dense<1>", "%one = stablehlo.constant dense<2>"),
                List.of(u(3, 3), u(4, 3), u(3)), 36);
    }

    @Test
    void foriLoopRnnCellWithCapturedWeights() {
        // h_{t+1} = tanh(W h_t + x_t) for t < 4, where x_t = dynamic_slice of the sequence; W and the sequence captured.
        GradCheck.check(RNN, List.of(u(3, 3), u(4, 3), u(3)), 33);
    }

    @Test
    void dataDependentWhileLoop() {
        // Doubles x until its sum exceeds a bound: the trip count depends on the data (fixed under small perturbations).
        GradCheck.check("""
                func.func @f(%x: tensor<2xf64>, %k: tensor<f64>) -> tensor<2xf64> {
                  %r = stablehlo.while(%v = %x) : tensor<2xf64>
                   cond {
                    %z = stablehlo.constant dense<0.0> : tensor<f64>
                    %s = stablehlo.reduce(%v init: %z) applies stablehlo.add across dimensions = [0] : (tensor<2xf64>, tensor<f64>) -> tensor<f64>
                    %b = stablehlo.constant dense<10.0> : tensor<f64>
                    %lt = stablehlo.compare LT, %s, %b : (tensor<f64>, tensor<f64>) -> tensor<i1>
                    stablehlo.return %lt : tensor<i1>
                  } do {
                    %kb = stablehlo.broadcast_in_dim %k, dims = [] : (tensor<f64>) -> tensor<2xf64>
                    %m = stablehlo.multiply %v, %kb : tensor<2xf64>
                    %q = stablehlo.sine %v : tensor<2xf64>
                    %n = stablehlo.add %m, %q : tensor<2xf64>
                    stablehlo.return %n : tensor<2xf64>
                  }
                  return %r : tensor<2xf64>
                }""", List.of(HostArray.fromDoubles(f64(2), 0.7, 0.4), HostArray.fromDoubles(f64(), 1.7)), 34);
    }

    @Test
    void callIsDifferentiatedThroughItsCallee() {
        var m = GradCheck.parse("""
                func.func @main(%x: tensor<3xf64>, %y: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = func.call @helper(%x, %y) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                  %1 = func.call @helper(%0, %x) : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                  return %1 : tensor<3xf64>
                }
                func.func private @helper(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = stablehlo.multiply %a, %b : tensor<3xf64>
                  %1 = stablehlo.tanh %0 : tensor<3xf64>
                  return %1 : tensor<3xf64>
                }""");
        GradCheck.checkModule(m, "main", List.of(u(3), u(3)), 35);
    }
}
