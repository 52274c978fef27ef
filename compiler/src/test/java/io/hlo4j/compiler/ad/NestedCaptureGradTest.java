package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.ad.GradCheck.f64;
import static io.hlo4j.compiler.ad.GradCheck.uniform;

/**
 * A region op inside the body of a fori loop (saved carries, {@code ScanLoops}) that reads a value from outside both:
 * its rule reports that value's cotangent under the name the backward loop's body sees it by, which the body's sweep
 * did not map back, so the cotangent was dropped (0 for w below). The autodiff fuzz's nested loops found it (family
 * NESTED_WHILE, seed 2, case 1). Checked against finite differences.
 */
class NestedCaptureGradTest {
    private final Random r = new Random(2027);

    private HostArray u(long... shape) { return uniform(f64(shape), r, -1, 1); }

    @Test
    void aLoopInsideAForiLoopReadingAnOuterValue() {
        // the inner bound is not a constant, so the inner loop is recomputed (ControlFlowRules) inside the fori loop's backward
        GradCheck.check("""
                func.func @f(%x: tensor<2xf64>, %w: tensor<2xf64>) -> tensor<2xf64> {
                  %c0 = stablehlo.constant dense<0> : tensor<i32>
                  %c1 = stablehlo.constant dense<1> : tensor<i32>
                  %n = stablehlo.constant dense<2> : tensor<i32>
                  %r:2 = stablehlo.while(%i = %c0, %s = %x) : tensor<i32>, tensor<2xf64>
                   cond {
                    %p = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
                    stablehlo.return %p : tensor<i1>
                  } do {
                    %u:2 = stablehlo.while(%j = %c0, %t = %s) : tensor<i32>, tensor<2xf64>
                     cond {
                      %b = stablehlo.add %i, %c1 : tensor<i32>
                      %q = stablehlo.compare LT, %j, %b : (tensor<i32>, tensor<i32>) -> tensor<i1>
                      stablehlo.return %q : tensor<i1>
                    } do {
                      %th = stablehlo.tanh %t : tensor<2xf64>
                      %t2 = stablehlo.multiply %th, %w : tensor<2xf64>
                      %j2 = stablehlo.add %j, %c1 : tensor<i32>
                      stablehlo.return %j2, %t2 : tensor<i32>, tensor<2xf64>
                    }
                    %i2 = stablehlo.add %i, %c1 : tensor<i32>
                    stablehlo.return %i2, %u#1 : tensor<i32>, tensor<2xf64>
                  }
                  return %r#1 : tensor<2xf64>
                }""", List.of(u(2), u(2)), 1);
    }

    @Test
    void anIfInsideAForiLoopReadingAnOuterValue() {
        GradCheck.check("""
                func.func @f(%x: tensor<3xf64>, %w: tensor<3xf64>, %p: tensor<i1>) -> tensor<3xf64> {
                  %c0 = stablehlo.constant dense<0> : tensor<i32>
                  %c1 = stablehlo.constant dense<1> : tensor<i32>
                  %n = stablehlo.constant dense<3> : tensor<i32>
                  %r:2 = stablehlo.while(%i = %c0, %s = %x) : tensor<i32>, tensor<3xf64>
                   cond {
                    %lt = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
                    stablehlo.return %lt : tensor<i1>
                  } do {
                    %y = "stablehlo.if"(%p) ({
                      %a = stablehlo.multiply %s, %w : tensor<3xf64>
                      stablehlo.return %a : tensor<3xf64>
                    }, {
                      %b = stablehlo.sine %w : tensor<3xf64>
                      stablehlo.return %b : tensor<3xf64>
                    }) : (tensor<i1>) -> tensor<3xf64>
                    %z = stablehlo.tanh %y : tensor<3xf64>
                    %i2 = stablehlo.add %i, %c1 : tensor<i32>
                    stablehlo.return %i2, %z : tensor<i32>, tensor<3xf64>
                  }
                  return %r#1 : tensor<3xf64>
                }""", List.of(u(3), u(3), HostArray.fromBooleans(TensorType.scalar(IntegerType.I1), true)), 2);
    }
}
