package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.check;
import static io.hlo4j.compiler.batch.BatchCheck.gradOfVmap;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * chlo.scan under vmap (the batch just after the scanned dimension) against per-example runs, stacked: an RNN cell (forwards and reversed) with the sequence, the
 * initial state or the weights batched (a carry that only the body makes batched), a scan along dimension 1 with an
 * integer input, and grad of vmap against central differences.
 */
class ScanBatchRulesTest {
    private final Random r = new Random(3);
    private static final int N = Batched.NONE;

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    private static String rnn(boolean reverse) {
        return """
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
    }

    @Test
    void rnnCellWithAnyInputBatched() {
        for (boolean reverse : new boolean[]{false, true}) {
            String f = rnn(reverse);
            String text = check(f, new int[]{0, N, N}, new int[]{0, 0, N}, 2, List.of(u(2, 5, 3), u(3), u(3)));
            assertThat(text).contains("dimension=0", "-> (tensor<5x2x3xf64>, tensor<2x3xf64>, tensor<3xf64>, tensor<i64>)");
            // only the initial state batched: the sequence is broadcast, the step counter stays unbatched
            check(f, new int[]{N, 1, N}, new int[]{1, 0, N}, 2, List.of(u(5, 3), u(3, 2), u(3)));
            check(f, new int[]{2, N, 0}, new int[]{2, 1, N}, 3, List.of(u(5, 3, 3), u(3), u(3, 3)));
        }
    }

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
        HostArray m = HostArray.fromLongs(TensorType.of(IntegerType.I64, 2, 4), 1, 0, 2, 1, 0, 1, 1, 3);
        HostArray ms = HostArray.fromLongs(TensorType.of(IntegerType.I64, 2, 4, 2), 1, 0, 2, 1, 0, 1, 1, 3, 2, 2, 0, 1, 3, 0, 1, 1);
        check(f, new int[]{1, N, N}, new int[]{0, 0}, 2, List.of(u(2, 2, 4), m, u(2)));
        check(f, new int[]{N, 2, 0}, new int[]{2, 1}, 2, List.of(u(2, 4), ms, u(2, 2)));
        gradOfVmap(f, new int[]{1, N, N}, new int[]{0, 0}, 2, List.of(u(2, 2, 4), m, u(2)), 0, r);
    }

    @Test
    void gradOfAVmappedRnnMatchesCentralDifferences() {
        gradOfVmap(rnn(false), new int[]{0, N, 0}, new int[]{0, 0, N}, 2, List.of(u(2, 5, 3), u(3), u(2, 3)), 0, r);
        gradOfVmap(rnn(true), new int[]{0, N, 0}, new int[]{0, 0, N}, 2, List.of(u(2, 5, 3), u(3), u(2, 3)), 2, r);
    }
}
