package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.check;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rules of ops the DSL does not emit directly, on StableHLO text: batched run == per-example runs stacked. */
class IrBatchRulesTest {
    private static final int NONE = Batched.NONE;
    private final Random r = new Random(7);

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    @Test
    void reverseClampAndReducePrecision() {
        String f = """
                func.func @f(%x: tensor<3x4xf64>, %lo: tensor<f64>) -> (tensor<3x4xf64>, tensor<3x4xf64>) {
                  %r = stablehlo.reverse %x, dims = [1] : tensor<3x4xf64>
                  %hi = stablehlo.constant dense<0.5> : tensor<f64>
                  %c = stablehlo.clamp %lo, %r, %hi : (tensor<f64>, tensor<3x4xf64>, tensor<f64>) -> tensor<3x4xf64>
                  %p = stablehlo.reduce_precision %x, format = e5m10 : tensor<3x4xf64>
                  return %c, %p : tensor<3x4xf64>, tensor<3x4xf64>
                }""";
        check(f, new int[]{1, 0}, new int[]{0, 2}, 5, List.of(u(3, 5, 4), u(5)));       // batched scalar bound beside a tensor
        check(f, new int[]{0, NONE}, new int[]{1, 0}, 2, List.of(u(2, 3, 4), u()));      // unbatched scalar bound stays a scalar
    }

    @Test
    void caseWithBatchedIndexSelectsPerExample() {
        String f = """
                func.func @f(%i: tensor<i32>, %x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = "stablehlo.case"(%i) ({
                    %a = stablehlo.negate %x : tensor<3xf64>
                    stablehlo.return %a : tensor<3xf64>
                  }, {
                    %b = stablehlo.exponential %x : tensor<3xf64>
                    stablehlo.return %b : tensor<3xf64>
                  }) : (tensor<i32>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""";
        HostArray idx = HostArray.fromLongs(TensorType.of(IntegerType.I32, 4), 0, 1, 7, -1);
        check(f, new int[]{0, NONE}, new int[]{0}, 4, List.of(idx, u(3)));     // index only: every branch runs, then selects
        HostArray one = HostArray.fromLongs(TensorType.scalar(IntegerType.I32), 1);
        String text = check(f, new int[]{NONE, 1}, new int[]{1}, 4, List.of(one, u(3, 4)));  // branches batched, index not
        assertThat(text).contains("stablehlo.case");
    }

    @Test
    void mapCholeskyBitcastAndBarrier() {
        String f = """
                func.func @f(%x: tensor<3xf64>, %y: tensor<3xf64>, %a: tensor<2x2xf64>) -> (tensor<3xf64>, tensor<2x2xf64>, tensor<3xi64>, tensor<3xf64>) {
                  %m = "stablehlo.map"(%x, %y) ({
                    ^bb0(%p: tensor<f64>, %q: tensor<f64>):
                      %s = stablehlo.multiply %p, %q : tensor<f64>
                      stablehlo.return %s : tensor<f64>
                  }) {dimensions = array<i64: 0>} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
                  %t = stablehlo.transpose %a, dims = [1, 0] : (tensor<2x2xf64>) -> tensor<2x2xf64>
                  %g = stablehlo.dot_general %a, %t, contracting_dims = [1] x [0] : (tensor<2x2xf64>, tensor<2x2xf64>) -> tensor<2x2xf64>
                  %two = stablehlo.constant dense<[[2.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf64>
                  %spd = stablehlo.add %g, %two : tensor<2x2xf64>
                  %c = stablehlo.cholesky %spd, lower = true : tensor<2x2xf64>
                  %b = stablehlo.bitcast_convert %x : (tensor<3xf64>) -> tensor<3xi64>
                  %o:2 = stablehlo.optimization_barrier %x, %y : tensor<3xf64>, tensor<3xf64>
                  %z = stablehlo.add %o#0, %o#1 : tensor<3xf64>
                  return %m, %c, %b, %z : tensor<3xf64>, tensor<2x2xf64>, tensor<3xi64>, tensor<3xf64>
                }""";
        check(f, new int[]{0, NONE, 2}, new int[]{0, 0, 1, 0}, 3, List.of(u(3, 3), u(3), u(2, 2, 3)));
    }

    @Test
    void ifWithAnUnbatchedPredicateAndBranchesOfMixedBatching() {
        // the true branch yields a constant (unbatched), the false one reads the batched x: the result is batched
        String f = """
                func.func @f(%p: tensor<i1>, %x: tensor<2xf64>) -> (tensor<2xf64>, tensor<f64>) {
                  %0:2 = "stablehlo.if"(%p) ({
                    %c = stablehlo.constant dense<[1.5, -2.0]> : tensor<2xf64>
                    %z = stablehlo.constant dense<0.0> : tensor<f64>
                    stablehlo.return %c, %z : tensor<2xf64>, tensor<f64>
                  }, {
                    %z = stablehlo.constant dense<1.0> : tensor<f64>
                    stablehlo.return %x, %z : tensor<2xf64>, tensor<f64>
                  }) : (tensor<i1>) -> (tensor<2xf64>, tensor<f64>)
                  return %0#0, %0#1 : tensor<2xf64>, tensor<f64>
                }""";
        for (boolean p : new boolean[]{true, false}) {
            HostArray pred = HostArray.fromBooleans(TensorType.scalar(IntegerType.I1), p);
            String text = check(f, new int[]{NONE, 0}, new int[]{1, NONE}, 3, List.of(pred, u(3, 2)));
            assertThat(text).contains("stablehlo.if");
        }
        HostArray preds = HostArray.fromBooleans(TensorType.of(IntegerType.I1, 3), true, false, true);
        check(f, new int[]{0, 0}, new int[]{0, 0}, 3, List.of(preds, u(3, 2)));         // batched predicate: a select
    }

    @Test
    void aDeliberatelyUnbatchedOpIsRefusedByNameWithItsReason() {
        String f = """
                func.func @f(%x: tensor<4xf64>) -> tensor<4xf64> {
                  %t = "stablehlo.tuple"(%x) : (tensor<4xf64>) -> tuple<tensor<4xf64>>
                  %0 = "stablehlo.get_tuple_element"(%t) {index = 0 : i32} : (tuple<tensor<4xf64>>) -> tensor<4xf64>
                  return %0 : tensor<4xf64>
                }""";
        assertThatThrownBy(() -> check(f, new int[]{0}, new int[]{0}, 2, List.of(u(2, 4))))
                .isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("cannot batch 'stablehlo.tuple'").hasMessageContaining("a tuple's elements")
                .hasMessageContaining("tensor<2x4xf64> batched at dim 0");
    }
}
