package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.verify.ModuleVerifier;
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

/**
 * Batched padding values and reduce inits, rng_bit_generator with batched states, the dynamic-shape ops with
 * unbatched shape operands, and the refusals (batched shape operand, custom_call): batched run == per-example runs.
 */
class FillAndDynamicBatchRulesTest {
    private static final int NONE = Batched.NONE;
    private final Random r = new Random(13);

    private HostArray u(long... shape) { return uniform(r, TensorType.of(FloatType.F64, shape)); }

    private static HostArray ints(IntegerType t, long[] shape, long... v) { return HostArray.fromLongs(TensorType.of(t, shape), v); }

    @Test
    void padWithABatchedPaddingValueSelectsItPerExample() {
        String f = """
                func.func @f(%x: tensor<3x2xf64>, %v: tensor<f64>) -> tensor<6x4xf64> {
                  %0 = stablehlo.pad %x, %v, low = [1, -1], high = [0, 2], interior = [1, 1] : (tensor<3x2xf64>, tensor<f64>) -> tensor<6x4xf64>
                  return %0 : tensor<6x4xf64>
                }""";
        String text = check(f, new int[]{2, 0}, new int[]{1}, 4, List.of(u(3, 2, 4), u(4)));
        assertThat(text).contains("stablehlo.select");
        check(f, new int[]{NONE, 0}, new int[]{0}, 3, List.of(u(3, 2), u(3)));       // only the value batched
        check(f, new int[]{0, NONE}, new int[]{2}, 3, List.of(u(3, 3, 2), u()));     // only the operand: a plain pad
    }

    /**
     * f8 types without infinity: the max/min identity is the largest finite magnitude (an infinity would encode as
     * their NaN and poison every result). All values negative for max (positive for min) so the identity is reached.
     */
    @Test
    void reduceWithABatchedInitOnF8WithoutInfinity() {
        for (String ty : List.of("f8E4M3FN", "f8E4M3FNUZ", "f8E5M2FNUZ", "f8E4M3B11FNUZ")) {
            FloatType et = new FloatType(io.hlo4j.mlir.types.FloatKind.fromMnemonic(ty));
            for (String body : List.of("maximum", "minimum")) {
                float s = body.equals("maximum") ? -1 : 1;
                String f = """
                        func.func @f(%x: tensor<3xT>, %i: tensor<T>) -> tensor<T> {
                          %0 = stablehlo.reduce(%x init: %i) applies stablehlo.BODY across dimensions = [0] : (tensor<3xT>, tensor<T>) -> tensor<T>
                          return %0 : tensor<T>
                        }""".replace("BODY", body).replace("T", ty);
                HostArray x = HostArray.fromFloats(TensorType.of(et, 2, 3), s * 2, s * 4, s * 1.5f, s * 8, s * 3, s * 6);
                HostArray init = HostArray.fromFloats(TensorType.of(et, 2), s * 16, s * 0.5f);
                check(f, new int[]{0, 0}, new int[]{0}, 2, List.of(x, init));
            }
        }
    }

    @Test
    void reduceWithABatchedInitOfAMonoid() {
        for (String body : List.of("add", "maximum", "minimum", "multiply")) {
            String f = """
                    func.func @f(%x: tensor<3x4xf64>, %i: tensor<f64>) -> tensor<4xf64> {
                      %0 = stablehlo.reduce(%x init: %i) applies stablehlo.BODY across dimensions = [0] : (tensor<3x4xf64>, tensor<f64>) -> tensor<4xf64>
                      return %0 : tensor<4xf64>
                    }""".replace("BODY", body);
            check(f, new int[]{1, 0}, new int[]{0}, 5, List.of(u(3, 5, 4), u(5)));
            check(f, new int[]{NONE, 0}, new int[]{1}, 2, List.of(u(3, 4), u(2)));
        }
        String and = """
                func.func @f(%x: tensor<5xi32>, %i: tensor<i32>) -> tensor<i32> {
                  %0 = stablehlo.reduce(%x init: %i) applies stablehlo.and across dimensions = [0] : (tensor<5xi32>, tensor<i32>) -> tensor<i32>
                  return %0 : tensor<i32>
                }""";
        check(and, new int[]{0, 0}, new int[]{0}, 3, List.of(ints(IntegerType.I32, new long[]{3, 5}, 7, 15, -1, 13, 31, 1, 2, 3, 4, 5, -8, -8, -8, -7, -16),
                ints(IntegerType.I32, new long[]{3}, -1, 6, -5)));
        String maxI = and.replace("stablehlo.and", "stablehlo.maximum").replace("i32", "ui32");
        check(maxI, new int[]{0, 0}, new int[]{0}, 2, List.of(ints(IntegerType.UI32, new long[]{2, 5}, 1, 9, 3, 4, 0, 0, 0, 0, 0, 0),
                ints(IntegerType.UI32, new long[]{2}, 5, 0)));
    }

    @Test
    void reduceWindowWithABatchedInit() {
        String max = """
                func.func @f(%x: tensor<6xf64>, %i: tensor<f64>) -> tensor<3xf64> {
                  %0 = "stablehlo.reduce_window"(%x, %i) ({
                    ^bb0(%a: tensor<f64>, %b: tensor<f64>):
                      %m = stablehlo.maximum %a, %b : tensor<f64>
                      stablehlo.return %m : tensor<f64>
                  }) {window_dimensions = array<i64: 3>, window_strides = array<i64: 2>, padding = dense<[[1, 1]]> : tensor<1x2xi64>}
                    : (tensor<6xf64>, tensor<f64>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""";
        check(max, new int[]{0, 0}, new int[]{0}, 3, List.of(u(3, 6), u(3)));      // padding holds the init: max is idempotent
        String sum = max.replace("stablehlo.maximum", "stablehlo.add").replace(", padding = dense<[[1, 1]]> : tensor<1x2xi64>", "")
                .replace("tensor<3xf64>", "tensor<2xf64>");
        check(sum, new int[]{1, 0}, new int[]{1}, 3, List.of(u(6, 3), u(3)));
        // add with padding and base dilation: each padded or inserted element counts the example's init once more
        String paddedSum = max.replace("stablehlo.maximum", "stablehlo.add").replace("window_strides = array<i64: 2>,",
                "window_strides = array<i64: 2>, base_dilations = array<i64: 2>,").replace("tensor<3xf64>", "tensor<6xf64>");
        check(paddedSum, new int[]{0, 0}, new int[]{0}, 3, List.of(u(3, 6), u(3)));
        check(paddedSum, new int[]{NONE, 0}, new int[]{1}, 2, List.of(u(6), u(2)));
    }

    @Test
    void aBatchedInitOfAnotherBodyIsRefused() {
        String f = """
                func.func @f(%x: tensor<3xf64>, %i: tensor<f64>) -> tensor<f64> {
                  %0 = stablehlo.reduce(%x init: %i) across dimensions = [0] : (tensor<3xf64>, tensor<f64>) -> tensor<f64>
                    reducer(%a: tensor<f64>, %b: tensor<f64>) {
                      %s = stablehlo.add %a, %b : tensor<f64>
                      %t = stablehlo.multiply %s, %s : tensor<f64>
                      stablehlo.return %t : tensor<f64>
                    }
                  return %0 : tensor<f64>
                }""";
        check(f, new int[]{0, NONE}, new int[]{0}, 2, List.of(u(2, 3), u()));
        assertThatThrownBy(() -> check(f, new int[]{0, 0}, new int[]{0}, 2, List.of(u(2, 3), u(2))))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("cannot batch 'stablehlo.reduce'")
                .hasMessageContaining("body is not one of add, multiply, maximum, minimum, and, or");
    }

    @Test
    void rngBitGeneratorWithPerExampleStatesEqualsEachExamplesOwnRun() {
        for (String alg : List.of("THREE_FRY", "PHILOX")) {
            String f = """
                    func.func @f(%s: tensor<2xui64>) -> (tensor<2xui64>, tensor<3x2xui32>) {
                      %0:2 = stablehlo.rng_bit_generator %s, algorithm = ALG : (tensor<2xui64>) -> (tensor<2xui64>, tensor<3x2xui32>)
                      return %0#0, %0#1 : tensor<2xui64>, tensor<3x2xui32>
                    }""".replace("ALG", alg);
            HostArray states = ints(IntegerType.UI64, new long[]{2, 4}, 1, 2, 3, 4, 0, 42, 42, 0);     // example i: column i
            String text = check(f, new int[]{1}, new int[]{0, 2}, 4, List.of(states));
            assertThat(text).contains("stablehlo.while").containsOnlyOnce("stablehlo.rng_bit_generator");
        }
    }

    @Test
    void customCallIsRefusedByNameWithItsTarget() {
        String f = """
                func.func @f(%x: tensor<3xf64>) -> tensor<3xf64> {
                  %0 = stablehlo.custom_call @my_kernel(%x) : (tensor<3xf64>) -> tensor<3xf64>
                  return %0 : tensor<3xf64>
                }""";
        assertThatThrownBy(() -> check(f, new int[]{0}, new int[]{0}, 2, List.of(u(2, 3))))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("cannot batch 'stablehlo.custom_call'")
                .hasMessageContaining("custom call target 'my_kernel' is opaque");
    }

    @Test
    void shapeOperandOpsWithUnbatchedShapes() {
        String f = """
                func.func @f(%x: tensor<3xf64>) -> (tensor<2x3xf64>, tensor<3x1xf64>, tensor<2xf64>, tensor<i32>) {
                  %s = stablehlo.constant dense<[2, 3]> : tensor<2xi64>
                  %b = stablehlo.dynamic_broadcast_in_dim %x, %s, dims = [1] : (tensor<3xf64>, tensor<2xi64>) -> tensor<2x3xf64>
                  %rs = stablehlo.constant dense<[3, 1]> : tensor<2xi32>
                  %r = stablehlo.dynamic_reshape %x, %rs : (tensor<3xf64>, tensor<2xi32>) -> tensor<3x1xf64>
                  %lo = stablehlo.constant dense<[0]> : tensor<1xi64>
                  %hi = stablehlo.constant dense<[3]> : tensor<1xi64>
                  %st = stablehlo.constant dense<[2]> : tensor<1xi64>
                  %sl = stablehlo.real_dynamic_slice %x, %lo, %hi, %st : (tensor<3xf64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xf64>
                  %d = stablehlo.get_dimension_size %b, dim = 1 : (tensor<2x3xf64>) -> tensor<i32>
                  return %b, %r, %sl, %d : tensor<2x3xf64>, tensor<3x1xf64>, tensor<2xf64>, tensor<i32>
                }""";
        check(f, new int[]{0}, new int[]{0, 2, 1, NONE}, 4, List.of(u(4, 3)));
        check(f, new int[]{1}, new int[]{1, 0, 0, NONE}, 2, List.of(u(3, 2)));
    }

    @Test
    void dynamicPadWithABatchedValueAndDynamicGather() {
        String pad = """
                func.func @f(%x: tensor<3xf64>, %v: tensor<f64>) -> tensor<8xf64> {
                  %lo = stablehlo.constant dense<[1]> : tensor<1xi64>
                  %hi = stablehlo.constant dense<[2]> : tensor<1xi64>
                  %in = stablehlo.constant dense<[1]> : tensor<1xi64>
                  %0 = stablehlo.dynamic_pad %x, %v, %lo, %hi, %in : (tensor<3xf64>, tensor<f64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<8xf64>
                  return %0 : tensor<8xf64>
                }""";
        check(pad, new int[]{0, 0}, new int[]{0}, 3, List.of(u(3, 3), u(3)));
        check(pad, new int[]{1, NONE}, new int[]{1}, 2, List.of(u(3, 2), u()));
        String gather = """
                func.func @f(%x: tensor<5x3xf64>, %i: tensor<2x1xi64>) -> tensor<2x3xf64> {
                  %ss = stablehlo.constant dense<[1, 3]> : tensor<2xi64>
                  %g = "stablehlo.dynamic_gather"(%x, %i, %ss) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0],
                      start_index_map = [0], index_vector_dim = 1>} : (tensor<5x3xf64>, tensor<2x1xi64>, tensor<2xi64>) -> tensor<2x3xf64>
                  return %g : tensor<2x3xf64>
                }""";
        HostArray idx = ints(IntegerType.I64, new long[]{2, 1}, 4, 1);
        HostArray idxB = ints(IntegerType.I64, new long[]{3, 2, 1}, 0, 2, 4, 4, 1, 3);
        check(gather, new int[]{0, NONE}, new int[]{0}, 3, List.of(u(3, 5, 3), idx));
        check(gather, new int[]{NONE, 0}, new int[]{1}, 3, List.of(u(5, 3), idxB));
        check(gather, new int[]{2, 0}, new int[]{2}, 3, List.of(u(5, 3, 3), idxB));
    }

    @Test
    void setDimensionSizeWithAnUnbatchedSize() {
        String f = """
                func.func @f(%x: tensor<4xf64>, %n: tensor<i32>) -> tensor<?xf64, #stablehlo.bounds<4>> {
                  %0 = stablehlo.set_dimension_size %x, %n, dim = 0 : (tensor<4xf64>, tensor<i32>) -> tensor<?xf64, #stablehlo.bounds<4>>
                  return %0 : tensor<?xf64, #stablehlo.bounds<4>>
                }""";
        // the interpreter does not run a set_dimension_size whose result has a static dimension beside the dynamic one,
        // so this checks the batched op's form: it verifies, the dimension moved past the batch, the bound kept
        Module m = MlirParser.parseModule("module {\n" + f + "\n}", "s.mlir");
        Module vm = Module.of("b", null, List.of(Batching.vmap(m.functions().get(0), new int[]{0, NONE}, new int[]{0}, 2, "s")),
                m.functions().get(0).location());
        ModuleVerifier.verify(vm);
        assertThat(MlirPrinter.print(vm)).contains("dim = 1 : (tensor<2x4xf64>, tensor<i32>) -> tensor<2x?xf64, #stablehlo.bounds<?, 4>>");
        assertThatThrownBy(() -> check(f, new int[]{0, 0}, new int[]{0}, 2, List.of(u(2, 4), ints(IntegerType.I32, new long[]{2}, 4, 4))))
                .hasMessageContaining("cannot batch 'stablehlo.set_dimension_size'").hasMessageContaining("the size operand (#1) is batched");
    }

    @Test
    void aBatchedShapeOperandIsRefusedByName() {
        String reshape = """
                func.func @f(%x: tensor<4xf64>, %s: tensor<2xi64>) -> tensor<2x2xf64> {
                  %0 = stablehlo.dynamic_reshape %x, %s : (tensor<4xf64>, tensor<2xi64>) -> tensor<2x2xf64>
                  return %0 : tensor<2x2xf64>
                }""";
        HostArray shapes = ints(IntegerType.I64, new long[]{2, 2}, 2, 2, 2, 2);
        assertThatThrownBy(() -> check(reshape, new int[]{0, 0}, new int[]{0}, 2, List.of(u(2, 4), shapes)))
                .hasMessageContaining("cannot batch 'stablehlo.dynamic_reshape'").hasMessageContaining("the output_shape operand (#1) is batched");
        String iota = """
                func.func @f(%s: tensor<1xi64>) -> tensor<3xi64> {
                  %0 = stablehlo.dynamic_iota %s, dim = 0 : (tensor<1xi64>) -> tensor<3xi64>
                  return %0 : tensor<3xi64>
                }""";
        assertThatThrownBy(() -> check(iota, new int[]{0}, new int[]{0}, 2, List.of(ints(IntegerType.I64, new long[]{2, 1}, 3, 3))))
                .hasMessageContaining("cannot batch 'stablehlo.dynamic_iota'").hasMessageContaining("output_shape operand is batched");
    }
}
