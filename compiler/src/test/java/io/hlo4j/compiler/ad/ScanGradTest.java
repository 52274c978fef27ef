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

/**
 * chlo.scan: an RNN cell scanned forwards and backwards (carry h, a pass-through weight carry w whose cotangent
 * accumulates over the steps, an integer step counter), gradients against central finite differences (f64).
 */
class ScanGradTest {
    @ParameterizedTest(name = "is_reverse={0}")
    @ValueSource(booleans = {false, true})
    void rnnCell(boolean reverse) {
        String f = """
                func.func @f(%x: tensor<5x3xf64>, %h0: tensor<3xf64>, %w0: tensor<3xf64>) -> (tensor<5x3xf64>, tensor<3xf64>, tensor<i64>) {
                  %k0 = stablehlo.constant dense<0> : tensor<i64>
                  %r:4 = chlo.scan(%x) inits (%h0, %w0, %k0) dimension=0 ATTRS {
                  ^bb0(%xt: tensor<3xf64>, %h: tensor<3xf64>, %w: tensor<3xf64>, %k: tensor<i64>):
                    %hw = stablehlo.multiply %h, %w : tensor<3xf64>
                    %a = stablehlo.add %hw, %xt : tensor<3xf64>
                    %hn = stablehlo.tanh %a : tensor<3xf64>
                    %y = stablehlo.multiply %hn, %hn : tensor<3xf64>
                    %one = stablehlo.constant dense<1> : tensor<i64>
                    %kn = stablehlo.add %k, %one : tensor<i64>
                    stablehlo.return %y, %hn, %w, %kn : tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<i64>
                  } : (tensor<5x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<i64>) -> (tensor<5x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<i64>)
                  return %r#0, %r#1, %r#3 : tensor<5x3xf64>, tensor<3xf64>, tensor<i64>
                }""".replace("ATTRS", reverse ? "attributes {is_reverse = true}" : "");
        Random r = new Random(reverse ? 2 : 1);
        GradCheck.check(f, List.of(uniform(f64(5, 3), r, -1, 1), uniform(f64(3), r, -1, 1), uniform(f64(3), r, -1.5, 1.5)), 3);
    }

    /** Scanning dimension 1 with two inputs (one integer), the carry stacked along dimension 1 of [2, 4]. */
    @Test
    void scanAlongDimensionOneWithAnIntegerInput() {
        String f = """
                func.func @f(%x: tensor<2x4xf64>, %m: tensor<2x4xi64>, %c0: tensor<2xf64>) -> (tensor<2x4xf64>, tensor<2xf64>) {
                  %r:2 = chlo.scan(%x, %m) inits (%c0) dimension=1 {
                  ^bb0(%xt: tensor<2xf64>, %mt: tensor<2xi64>, %c: tensor<2xf64>):
                    %mf = stablehlo.convert %mt : (tensor<2xi64>) -> tensor<2xf64>
                    %p = stablehlo.multiply %c, %xt : tensor<2xf64>
                    %s = stablehlo.sine %p : tensor<2xf64>
                    %cn = stablehlo.add %s, %mf : tensor<2xf64>
                    %y = stablehlo.multiply %cn, %xt : tensor<2xf64>
                    stablehlo.return %y, %cn : tensor<2xf64>, tensor<2xf64>
                  } : (tensor<2x4xf64>, tensor<2x4xi64>, tensor<2xf64>) -> (tensor<2x4xf64>, tensor<2xf64>)
                  return %r#0, %r#1 : tensor<2x4xf64>, tensor<2xf64>
                }""";
        Random r = new Random(9);
        HostArray m = HostArray.fromLongs(TensorType.of(IntegerType.I64, 2, 4), 1, 0, 2, 1, 0, 1, 1, 3);
        GradCheck.check(f, List.of(uniform(f64(2, 4), r, -1, 1), m, uniform(f64(2), r, -1, 1)), 4);
    }
}
