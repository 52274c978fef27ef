package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.compiler.testprograms.ScanPrograms;
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
        String f = ScanPrograms.rnn(reverse);
        Random r = new Random(reverse ? 2 : 1);
        GradCheck.check(f, List.of(uniform(f64(5, 3), r, -1, 1), uniform(f64(3), r, -1, 1), uniform(f64(3), r, -1.5, 1.5)), 3);
    }

    /** Scanning dimension 1 with two inputs (one integer), the carry stacked along dimension 1 of [2, 4]. */
    @Test
    void scanAlongDimensionOneWithAnIntegerInput() {
        String f = ScanPrograms.SCAN_DIM1_WITH_INT_INPUT;
        Random r = new Random(9);
        HostArray m = HostArray.fromLongs(TensorType.of(IntegerType.I64, 2, 4), 1, 0, 2, 1, 0, 1, 1, 3);
        GradCheck.check(f, List.of(uniform(f64(2, 4), r, -1, 1), m, uniform(f64(2), r, -1, 1)), 4);
    }
}
