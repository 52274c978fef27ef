package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.check;
import static io.hlo4j.compiler.batch.BatchCheck.gradOfVmap;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The batch_norm trio (the batch merged into the feature dimension) and select_and_scatter (the batch one more window
 * dimension of size 1) against the function run per example and stacked: each example's statistics are its own.
 * grad of vmap against central differences for batch_norm_training and select_and_scatter.
 */
class BatchNormScatterBatchRulesTest {
    private final Random r = new Random(23);
    private static final int N = Batched.NONE;

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    private static String training(int feature) {
        String cc = feature == 1 ? "3" : feature == 0 ? "4" : "2";
        return """
                func.func @f(%x: tensor<4x3x2xf64>, %s: tensor<CCxf64>, %o: tensor<CCxf64>) -> (tensor<4x3x2xf64>, tensor<CCxf64>, tensor<CCxf64>) {
                  %y, %m, %v = "stablehlo.batch_norm_training"(%x, %s, %o) {epsilon = 0.0625 : f32, feature_index = FI : i64} : (tensor<4x3x2xf64>, tensor<CCxf64>, tensor<CCxf64>) -> (tensor<4x3x2xf64>, tensor<CCxf64>, tensor<CCxf64>)
                  return %y, %m, %v : tensor<4x3x2xf64>, tensor<CCxf64>, tensor<CCxf64>
                }""".replace("CC", cc).replace("FI", "" + feature);
    }

    @ParameterizedTest
    @CsvSource({"0", "1", "2"})
    void trainingNormalizesEachExampleByItsOwnStatistics(int feature) {
        long c = feature == 1 ? 3 : feature == 0 ? 4 : 2;
        String f = training(feature);
        check(f, new int[]{0, 0, 0}, new int[]{0, 0, 0}, 2, List.of(u(2, 4, 3, 2), u(2, c), u(2, c)));
        check(f, new int[]{3, N, N}, new int[]{1, 1, 0}, 3, List.of(u(4, 3, 2, 3), u(c), u(c)));
        check(f, new int[]{N, 1, 0}, new int[]{3, 0, 1}, 2, List.of(u(4, 3, 2), u(c, 2), u(2, c)));
    }

    @Test
    void inferenceAndGrad() {
        String inf = """
                func.func @f(%x: tensor<4x3xf64>, %s: tensor<3xf64>, %o: tensor<3xf64>, %m: tensor<3xf64>, %v: tensor<3xf64>) -> tensor<4x3xf64> {
                  %v2 = stablehlo.multiply %v, %v : tensor<3xf64>
                  %y = "stablehlo.batch_norm_inference"(%x, %s, %o, %m, %v2) {epsilon = 0.125 : f32, feature_index = 1 : i64} : (tensor<4x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>) -> tensor<4x3xf64>
                  return %y : tensor<4x3xf64>
                }""";
        check(inf, new int[]{1, N, N, 0, 0}, new int[]{0}, 2, List.of(u(4, 2, 3), u(3), u(3), u(2, 3), u(2, 3)));
        check(inf, new int[]{N, 0, N, N, 1}, new int[]{2}, 2, List.of(u(4, 3), u(2, 3), u(3), u(3), u(3, 2)));
        String grad = """
                func.func @f(%x: tensor<2x3x2xf64>, %s: tensor<3xf64>, %m: tensor<3xf64>, %v: tensor<3xf64>, %g: tensor<2x3x2xf64>) -> (tensor<2x3x2xf64>, tensor<3xf64>, tensor<3xf64>) {
                  %v2 = stablehlo.multiply %v, %v : tensor<3xf64>
                  %a, %b, %c = "stablehlo.batch_norm_grad"(%x, %s, %m, %v2, %g) {epsilon = 0.125 : f32, feature_index = 1 : i64} : (tensor<2x3x2xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<2x3x2xf64>) -> (tensor<2x3x2xf64>, tensor<3xf64>, tensor<3xf64>)
                  return %a, %b, %c : tensor<2x3x2xf64>, tensor<3xf64>, tensor<3xf64>
                }""";
        check(grad, new int[]{0, N, 0, N, 3}, new int[]{0, 1, 0}, 2, List.of(u(2, 2, 3, 2), u(3), u(2, 3), u(3), u(2, 3, 2, 2)));
        check(grad, new int[]{N, 0, N, 1, N}, new int[]{2, 0, 0}, 3, List.of(u(2, 3, 2), u(3, 3), u(3), u(3, 3), u(2, 3, 2)));
    }

    @Test
    void gradOfVmappedTrainingMatchesCentralDifferences() {
        String f = """
                func.func @f(%x: tensor<4x3xf64>, %s: tensor<3xf64>, %o: tensor<3xf64>) -> (tensor<4x3xf64>, tensor<3xf64>) {
                  %y, %m, %v = "stablehlo.batch_norm_training"(%x, %s, %o) {epsilon = 0.0625 : f32, feature_index = 1 : i64} : (tensor<4x3xf64>, tensor<3xf64>, tensor<3xf64>) -> (tensor<4x3xf64>, tensor<3xf64>, tensor<3xf64>)
                  %1 = stablehlo.multiply %y, %y : tensor<4x3xf64>
                  return %1, %v : tensor<4x3xf64>, tensor<3xf64>
                }""";
        gradOfVmap(f, new int[]{2, 0, N}, new int[]{0, 0}, 2, List.of(u(4, 3, 2), u(2, 3), u(3)), 0, r);
        gradOfVmap(f, new int[]{2, 0, N}, new int[]{0, 0}, 2, List.of(u(4, 3, 2), u(2, 3), u(3)), 1, r);
    }

    private static String selectScatter(String scatterBody) {
        return """
                func.func @f(%x: tensor<4x5xf64>, %s: tensor<4x2xf64>, %i: tensor<f64>) -> tensor<4x5xf64> {
                  %0 = "stablehlo.select_and_scatter"(%x, %s, %i) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %c = stablehlo.compare GE, %a, %b : (tensor<f64>, tensor<f64>) -> tensor<i1>
                      stablehlo.return %c : tensor<i1>
                  }, {
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      BODY
                  }) {window_dimensions = array<i64: 2, 3>, window_strides = array<i64: 1, 2>,
                      padding = dense<[[1, 0], [0, 1]]> : tensor<2x2xi64>} : (tensor<4x5xf64>, tensor<4x2xf64>, tensor<f64>) -> tensor<4x5xf64>
                  %1 = stablehlo.multiply %0, %0 : tensor<4x5xf64>
                  return %1 : tensor<4x5xf64>
                }""".replace("BODY", scatterBody);
    }

    private static final String ADD_BODY = "%c = stablehlo.add %a, %b : tensor<f64>\n          stablehlo.return %c : tensor<f64>";

    @Test
    void selectAndScatterWithOverlappingPaddedWindows() {
        String f = selectScatter(ADD_BODY);
        String text = check(f, new int[]{0, 0, N}, new int[]{0}, 3, List.of(u(3, 4, 5), u(3, 4, 2), u()));
        assertThat(text).contains("window_dimensions = array<i64: 1, 2, 3>", "window_strides = array<i64: 1, 1, 2>");
        check(f, new int[]{2, N, N}, new int[]{1}, 2, List.of(u(4, 5, 2), u(4, 2), u()));
        check(f, new int[]{N, 1, N}, new int[]{2}, 2, List.of(u(4, 5), u(4, 2, 2), u()));
        // a batched init: scattered onto 0 (add's identity), each example's init added afterwards
        check(f, new int[]{1, 0, 0}, new int[]{0}, 2, List.of(u(4, 2, 5), u(2, 4, 2), u(2)));
        check(f, new int[]{N, N, 0}, new int[]{0}, 3, List.of(u(4, 5), u(4, 2), u(3)));
        gradOfVmap(f, new int[]{0, 0, 0}, new int[]{0}, 2, List.of(u(2, 4, 5), u(2, 4, 2), u(2)), 1, r);
        gradOfVmap(f, new int[]{0, 0, 0}, new int[]{0}, 2, List.of(u(2, 4, 5), u(2, 4, 2), u(2)), 2, r);
    }

    @Test
    void aBatchedInitOfANonMonoidScatterIsRefusedByName() {
        String f = selectScatter("stablehlo.return %b : tensor<f64>");
        check(f, new int[]{0, 0, N}, new int[]{0}, 2, List.of(u(2, 4, 5), u(2, 4, 2), u()));
        assertThatThrownBy(() -> check(f, new int[]{0, 0, 0}, new int[]{0}, 2, List.of(u(2, 4, 5), u(2, 4, 2), u(2))))
                .isInstanceOf(Hlo4jException.class)
                .hasMessageContaining("stablehlo.select_and_scatter").hasMessageContaining("init value is batched")
                .hasMessageContaining("tensor<2xf64> batched at dim 0");
    }
}
