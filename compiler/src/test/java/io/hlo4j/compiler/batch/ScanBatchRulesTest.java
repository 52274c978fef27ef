package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.compiler.testprograms.ScanPrograms;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.hlo4j.compiler.batch.BatchCheck.check;
import static io.hlo4j.compiler.batch.BatchCheck.gradOfVmap;
import static io.hlo4j.compiler.batch.BatchCheck.uniform;
import static io.hlo4j.compiler.testprograms.ScanPrograms.rnn;
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
        String f = ScanPrograms.SCAN_DIM1_WITH_INT_INPUT;
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
