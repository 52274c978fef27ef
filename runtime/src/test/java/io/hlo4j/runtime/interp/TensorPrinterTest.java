package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The reference tool's two result spellings, on tensors built here; expected texts written by hand from its rules. */
class TensorPrinterTest {
    private static Tensor ints(IntegerType t, long[] shape, long... v) { return Tensor.ofInts(TensorType.of(t, shape), v); }

    @Test
    void nestedRanksZeroToThree() {
        assertThat(TensorPrinter.nested(ints(IntegerType.UI8, new long[0], 200))).isEqualTo("tensor<ui8> {200}");
        assertThat(TensorPrinter.nested(ints(IntegerType.I32, new long[] {3}, 1, -2, 3))).isEqualTo("tensor<3xi32> {\n  [1, -2, 3]\n}");
        assertThat(TensorPrinter.nested(ints(IntegerType.I8, new long[] {2, 2}, 1, 2, 3, 4)))
                .isEqualTo("tensor<2x2xi8> {\n  [\n    [1, 2],\n    [3, 4]\n  ]\n}");
        assertThat(TensorPrinter.nested(ints(IntegerType.I1, new long[] {1, 2, 1}, 1, 0)))
                .isEqualTo("tensor<1x2x1xi1> {\n  [\n    [\n      [true],\n      [false]\n    ]\n  ]\n}");
    }

    @Test
    void nestedEmpty() {
        assertThat(TensorPrinter.nested(ints(IntegerType.I8, new long[] {0, 3}))).isEqualTo("tensor<0x3xi8> {\n  []\n}");
        assertThat(TensorPrinter.nested(ints(IntegerType.I8, new long[] {2, 0}))).isEqualTo("tensor<2x0xi8> {\n  [\n    [],\n    []\n  ]\n}");
    }

    @Test
    void floatsAndComplexInMlirSpelling() {
        Tensor f = Tensor.ofDoubles(TensorType.of(FloatType.F32, 3), new double[] {0.5, -3.0, 0.1});
        // 0.1 rounded to f32 prints with six digits, since "1.000000e-01" parses back to the same f32
        assertThat(TensorPrinter.nested(f)).isEqualTo("tensor<3xf32> {\n  [5.000000e-01, -3.000000e+00, 1.000000e-01]\n}");
        Tensor c = Tensor.ofComplex(TensorType.of(ComplexType.C64, 1), new double[] {1.5}, new double[] {-2});
        assertThat(TensorPrinter.nested(c)).isEqualTo("tensor<1xcomplex<f32>> {\n  [[1.500000e+00, -2.000000e+00]]\n}");
        Tensor inf = Tensor.ofDoubles(TensorType.of(FloatType.F32, 1), new double[] {Double.POSITIVE_INFINITY});
        assertThat(TensorPrinter.nested(inf)).isEqualTo("tensor<1xf32> {\n  [0x7F800000]\n}");
    }

    @Test
    void denseFormSplatsEqualElements() {
        assertThat(TensorPrinter.dense(ints(IntegerType.I8, new long[] {2, 2}, 1, 2, 3, 4))).isEqualTo("dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>");
        assertThat(TensorPrinter.dense(ints(IntegerType.I32, new long[] {3}, 7, 7, 7))).isEqualTo("dense<7> : tensor<3xi32>");
        assertThat(TensorPrinter.dense(ints(IntegerType.I8, new long[] {0}))).isEqualTo("dense<> : tensor<0xi8>");
        Tensor c = Tensor.ofComplex(TensorType.of(ComplexType.C128, 2), new double[] {1, 1}, new double[] {2, 2});
        assertThat(TensorPrinter.dense(c)).isEqualTo("dense<(1.000000e+00,2.000000e+00)> : tensor<2xcomplex<f64>>");
    }
}
