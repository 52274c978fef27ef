package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.testing.OpSnippet;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * For each op: a valid instance passes its verifier and a broken one fails with the spec rule named. Cases are
 * written in the ops' pretty form (parsed by the ops' own syntax) so each pair reads like the spec's examples;
 * the last tests build ops with {@link Operation#builder} directly.
 */
class VerifierTest {
    /** op, valid statement, invalid statement, expected message fragment. */
    record Case(String good, String bad, String message) {
        @Override public String toString() { return bad; }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("%r = stablehlo.add %a, %b : tensor<4xf32>",
                        "%r = stablehlo.add %a, %b : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32>",
                        "'stablehlo.add' op (add_c1) requires the same element type"),
                new Case("%r = stablehlo.subtract %a, %b : tensor<2x3xf32>",
                        "%r = stablehlo.subtract %a, %b : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x3xf32>",
                        "(subtract_c1) requires the same shape"),
                new Case("%r = stablehlo.subtract %a, %b : tensor<2xi32>",
                        "%r = stablehlo.subtract %a, %b : tensor<2xi1>", "(subtract_i1) lhs must have element type of [int, float, complex, quant]"),
                new Case("%r = stablehlo.and %a, %b : tensor<2xi1>", "%r = stablehlo.and %a, %b : tensor<2xf32>", "(and_i1)"),
                new Case("%r = stablehlo.shift_left %a, %b : tensor<2xi8>", "%r = stablehlo.shift_left %a, %b : tensor<2xi1>", "(shift_left_i1)"),
                new Case("%r = stablehlo.atan2 %a, %b : tensor<2xf64>", "%r = stablehlo.atan2 %a, %b : tensor<2xi64>", "(atan2_i1)"),
                new Case("%r = stablehlo.sine %a : tensor<2xf32>", "%r = stablehlo.sine %a : tensor<2xi32>", "(sine_i1)"),
                new Case("%r = stablehlo.floor %a : tensor<2xbf16>", "%r = stablehlo.floor %a : tensor<2xcomplex<f32>>", "(floor_i1)"),
                new Case("%r = stablehlo.popcnt %a : tensor<2xui8>", "%r = stablehlo.popcnt %a : tensor<2xf32>", "(popcnt_i1)"),
                new Case("%r = stablehlo.not %a : tensor<2xi1>", "%r = stablehlo.not %a : (tensor<2xi1>) -> tensor<3xi1>", "(not_c1)"),
                new Case("%r = stablehlo.negate %a : tensor<i32>", "%r = stablehlo.negate %a : (tensor<i32>) -> tensor<i64>", "(negate_c1)"),
                new Case("%r = stablehlo.abs %a : (tensor<2xcomplex<f32>>) -> tensor<2xf32>",
                        "%r = stablehlo.abs %a : (tensor<2xcomplex<f32>>) -> tensor<2xf64>", "(abs_c2) result element type must be f32"),
                new Case("%r = stablehlo.real %a : (tensor<2xcomplex<f64>>) -> tensor<2xf64>",
                        "%r = stablehlo.real %a : (tensor<2xi32>) -> tensor<2xi32>", "(real_i1)"),
                new Case("%r = stablehlo.imag %a : (tensor<2xcomplex<f64>>) -> tensor<2xf64>",
                        "%r = stablehlo.imag %a : (tensor<2xcomplex<f64>>) -> tensor<3xf64>", "(imag_c1) requires the same shape"),
                new Case("%r = stablehlo.is_finite %a : (tensor<3xf32>) -> tensor<3xi1>",
                        "%r = stablehlo.is_finite %a : (tensor<3xf32>) -> tensor<3xi32>", "(is_finite_c1) result must have i1 elements"),
                new Case("%r = stablehlo.convert %a : (tensor<3xf32>) -> tensor<3xi8>",
                        "%r = stablehlo.convert %a : (tensor<3xf32>) -> tensor<4xi8>", "(convert_c1)"),
                new Case("%r = stablehlo.complex %a, %b : tensor<2xcomplex<f32>>",
                        "%r = stablehlo.complex %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xcomplex<f64>>", "(complex_c3)"),
                new Case("%r = stablehlo.compare  LT, %a, %b,  FLOAT : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>",
                        "%r = stablehlo.compare  LT, %a, %b,  SIGNED : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>",
                        "(compare_c3) compare_type SIGNED does not fit element type f32"),
                new Case("%r = stablehlo.compare  EQ, %a, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi1>",
                        "%r = stablehlo.compare  EQ, %a, %b : (tensor<2xi32>, tensor<2xi64>) -> tensor<2xi1>", "(compare_c1)"),
                new Case("%r = stablehlo.select %p, %a, %b : tensor<i1>, tensor<3xf32>",
                        "%r = stablehlo.select %p, %a, %b : tensor<2xi1>, tensor<3xf32>", "(select_c1) pred must be a scalar or have the shape of on_true"),
                new Case("%r = stablehlo.select %p, %a, %b : tensor<3xi1>, tensor<3xf32>",
                        "%r = stablehlo.select %p, %a, %b : (tensor<3xi1>, tensor<3xf32>, tensor<3xf64>) -> tensor<3xf32>", "(select_c2)"),
                new Case("%r = stablehlo.clamp %lo, %x, %hi : (tensor<f32>, tensor<3xf32>, tensor<f32>) -> tensor<3xf32>",
                        "%r = stablehlo.clamp %lo, %x, %hi : (tensor<2xf32>, tensor<3xf32>, tensor<f32>) -> tensor<3xf32>", "(clamp_c1)"),
                new Case("%r = stablehlo.reduce_precision %x, format = e5m10 : tensor<3xf32>",
                        "%r = stablehlo.reduce_precision %x, format = e0m10 : tensor<3xf32>", "(reduce_precision_c2) exponent_bits must be >= 1"),
                new Case("%r = stablehlo.iota dim = 1 : tensor<2x3xi32>", "%r = stablehlo.iota dim = 2 : tensor<2x3xi32>",
                        "(iota_c1) iota_dimension 2 is out of range [0, 2)"),
                new Case("%r = stablehlo.broadcast_in_dim %x, dims = [1] : (tensor<3xf32>) -> tensor<2x3xf32>",
                        "%r = stablehlo.broadcast_in_dim %x, dims = [0] : (tensor<3xf32>) -> tensor<2x3xf32>",
                        "(broadcast_in_dim_c5) operand dimension 0 (size 3) must be 1 or equal result dimension 0 (size 2)"),
                new Case("%r = stablehlo.broadcast_in_dim %x, dims = [0, 1] : (tensor<1x3xf32>) -> tensor<2x3xf32>",
                        "%r = stablehlo.broadcast_in_dim %x, dims = [1, 1] : (tensor<1x3xf32>) -> tensor<2x3xf32>", "(broadcast_in_dim_c4)"),
                new Case("%r = stablehlo.reshape %x : (tensor<2x3xf32>) -> tensor<6xf32>",
                        "%r = stablehlo.reshape %x : (tensor<2x3xf32>) -> tensor<5xf32>", "(reshape_c2)"),
                new Case("%r = stablehlo.transpose %x, dims = [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>",
                        "%r = stablehlo.transpose %x, dims = [1, 0] : (tensor<2x3xf32>) -> tensor<2x3xf32>",
                        "(transpose_c3) result shape must be the permuted operand shape tensor<3x2xf32>"),
                new Case("%r = stablehlo.transpose %x, dims = [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>",
                        "%r = stablehlo.transpose %x, dims = [0, 0] : (tensor<2x3xf32>) -> tensor<2x2xf32>", "(transpose_c2) permutation entry 0 appears twice"),
                new Case("%r = stablehlo.slice %x [0:4:2, 1:3] : (tensor<4x3xf32>) -> tensor<2x2xf32>",
                        "%r = stablehlo.slice %x [0:4:2, 1:3] : (tensor<4x3xf32>) -> tensor<4x2xf32>", "(slice_c5) result shape must be tensor<2x2xf32>"),
                new Case("%r = stablehlo.slice %x [0:3] : (tensor<3xf32>) -> tensor<3xf32>",
                        "%r = stablehlo.slice %x [0:4] : (tensor<3xf32>) -> tensor<4xf32>", "(slice_c3) limit_indices[0] = 4 exceeds dimension size 3"),
                new Case("%r = stablehlo.pad %x, %v, low = [1, 0], high = [2, 1], interior = [1, 0] : (tensor<2x3xf64>, tensor<f64>) -> tensor<6x4xf64>",
                        "%r = stablehlo.pad %x, %v, low = [1, 0], high = [2, 1], interior = [1, 0] : (tensor<2x3xf64>, tensor<f64>) -> tensor<5x4xf64>",
                        "(pad_c4) result shape must be tensor<6x4xf64>"),
                new Case("%r = stablehlo.pad %x, %v, low = [0], high = [0], interior = [0] : (tensor<2xf64>, tensor<f64>) -> tensor<2xf64>",
                        "%r = stablehlo.pad %x, %v, low = [0], high = [0], interior = [-1] : (tensor<2xf64>, tensor<f64>) -> tensor<1xf64>",
                        "(pad_c3) interior_padding[0] = -1 must be >= 0"),
                new Case("%r = stablehlo.concatenate %a, %b, dim = 0 : (tensor<3x2xi64>, tensor<1x2xi64>) -> tensor<4x2xi64>",
                        "%r = stablehlo.concatenate %a, %b, dim = 0 : (tensor<3x2xi64>, tensor<1x3xi64>) -> tensor<4x2xi64>", "(concatenate_c3)"),
                new Case("%r = stablehlo.concatenate %a, %b, dim = 1 : (tensor<3x2xi64>, tensor<3x1xi64>) -> tensor<3x3xi64>",
                        "%r = stablehlo.concatenate %a, %b, dim = 1 : (tensor<3x2xi64>, tensor<3x1xi64>) -> tensor<3x4xi64>",
                        "(concatenate_c5) result must be tensor<3x3xi64>"),
                new Case("%r = stablehlo.reverse %x, dims = [0] : tensor<4x5xf16>", "%r = stablehlo.reverse %x, dims = [2] : tensor<4x5xf16>",
                        "(reverse_c2) dimension 2 is out of range [0, 2)"),
                new Case("%r = stablehlo.dynamic_slice %x, %i, %j, sizes = [1, 2] : (tensor<3x2xui32>, tensor<i64>, tensor<i64>) -> tensor<1x2xui32>",
                        "%r = stablehlo.dynamic_slice %x, %i, sizes = [1, 2] : (tensor<3x2xui32>, tensor<i64>) -> tensor<1x2xui32>",
                        "(dynamic_slice_c2) expects 2 start indices (the operand rank), got 1"),
                new Case("%r = stablehlo.dynamic_update_slice %x, %u, %i : (tensor<3xf64>, tensor<1xf64>, tensor<i64>) -> tensor<3xf64>",
                        "%r = stablehlo.dynamic_update_slice %x, %u, %i : (tensor<3xf64>, tensor<4xf64>, tensor<i64>) -> tensor<3xf64>",
                        "(dynamic_update_slice_c6) update dimension 0 (size 4) exceeds operand size 3"),
                new Case("%r = stablehlo.get_dimension_size %x, dim = 1 : (tensor<2x3xi64>) -> tensor<i32>",
                        "%r = stablehlo.get_dimension_size %x, dim = 2 : (tensor<2x3xi64>) -> tensor<i32>", "(get_dimension_size_c1)"),
                new Case("%r = stablehlo.bitcast_convert %x : (tensor<f64>) -> tensor<2xf32>",
                        "%r = stablehlo.bitcast_convert %x : (tensor<f64>) -> tensor<3xf32>",
                        "(bitcast_convert_c1) narrowing bitcast must add a trailing dimension of size 2"),
                new Case("%r = stablehlo.dynamic_iota %s, dim = 0 : (tensor<2xi64>) -> tensor<3x4xi64>",
                        "%r = stablehlo.dynamic_iota %s, dim = 0 : (tensor<3xi64>) -> tensor<3x4xi64>", "(dynamic_iota_c1) output_shape must have 2 elements"),
                new Case("%r = stablehlo.dynamic_broadcast_in_dim %x, %s, dims = [1] : (tensor<2xf32>, tensor<2xi32>) -> tensor<?x2xf32>",
                        "%r = stablehlo.dynamic_broadcast_in_dim %x, %s, dims = [1] : (tensor<2xf32>, tensor<3xi32>) -> tensor<?x2xf32>",
                        "(dynamic_broadcast_in_dim_c7)"),
                new Case("%r = stablehlo.dot_general %a, %b, batching_dims = [0] x [0], contracting_dims = [2] x [1] : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>",
                        "%r = stablehlo.dot_general %a, %b, batching_dims = [0] x [0], contracting_dims = [2] x [1] : (tensor<2x3x4xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>",
                        "(dot_general_c8) contracting dimension lhs 2 (size 4) and rhs 1 (size 3) must have the same size"),
                new Case("%r = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<4x3xf32>, tensor<3x6xf32>) -> tensor<4x6xf32>",
                        "%r = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<4x3xf32>, tensor<3x6xf32>) -> tensor<6x4xf32>",
                        "(dot_general_c12) result shape must be tensor<4x6xf32>"),
                new Case("%r = stablehlo.fft %x, type = FFT, length = [2] : (tensor<2xcomplex<f64>>) -> tensor<2xcomplex<f64>>",
                        "%r = stablehlo.fft %x, type = FFT, length = [2] : (tensor<2xf64>) -> tensor<2xcomplex<f64>>", "(fft_c2) fft_type FFT requires a complex operand"),
                new Case("%r = stablehlo.cholesky %a, lower = true : tensor<3x3xf32>", "%r = stablehlo.cholesky %a : tensor<3x4xf32>",
                        "(cholesky_c2) a must be a batch of square matrices"),
                new Case("%r = stablehlo.get_tuple_element %t[1] : (tuple<tensor<2xf64>, tensor<i64>>) -> tensor<i64>",
                        "%r = stablehlo.get_tuple_element %t[2] : (tuple<tensor<2xf64>, tensor<i64>>) -> tensor<i64>",
                        "(get_tuple_element_c1) index 2 is out of range [0, 2)"),
                new Case("%r = stablehlo.convolution(%a, %b) dim_numbers = [b, f, 0]x[o, i, 0]->[b, f, 0], window = {stride = [2]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<1x3x8xf32>, tensor<4x3x2xf32>) -> tensor<1x4x4xf32>",
                        "%r = stablehlo.convolution(%a, %b) dim_numbers = [b, f, 0]x[o, i, 0]->[b, f, 0], window = {stride = [2]} {batch_group_count = 1 : i64, feature_group_count = 2 : i64} : (tensor<1x3x8xf32>, tensor<4x3x2xf32>) -> tensor<1x4x4xf32>",
                        "(convolution_c11) input feature dimension size 3 must be divisible by feature_group_count 2"),
                new Case("%r = stablehlo.convolution(%a, %b) dim_numbers = [b, 0, f]x[0, i, o]->[b, 0, f], window = {stride = [2], pad = [[1, 0]], lhs_dilate = [2]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<1x8x3xf32>, tensor<3x3x4xf32>) -> tensor<1x7x4xf32>",
                        "%r = stablehlo.convolution(%a, %b) dim_numbers = [b, 0, f]x[0, i, o]->[b, 0, f], window = {stride = [2], pad = [[1, 0]], lhs_dilate = [2]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<1x8x3xf32>, tensor<3x3x4xf32>) -> tensor<1x8x4xf32>",
                        // (8-1)*2+1 = 15 dilated, +1 pad = 16, window 3, stride 2: (16-3)/2+1 = 7
                        "(convolution_c25) result shape must be tensor<1x7x4xf32>"),
                new Case("%r = stablehlo.uniform_dequantize %x : (tensor<2x!quant.uniform<i8:f32, 5.000000e-01>>) -> tensor<2xf32>",
                        "%r = stablehlo.uniform_dequantize %x : (tensor<2x!quant.uniform<i8:f32, 5.000000e-01>>) -> tensor<2xf64>", "(uniform_dequantize_c2)"),
                new Case("%r = stablehlo.broadcast %x, sizes = [2] : (tensor<3xf32>) -> tensor<2x3xf32>",
                        "%r = stablehlo.broadcast %x, sizes = [2] : (tensor<3xf32>) -> tensor<3x2xf32>", "result must be tensor<2x3xf32>"),
                new Case("%r = stablehlo.set_dimension_size %x, %n, dim = 0 : (tensor<2xi64>, tensor<i32>) -> tensor<?xi64, #stablehlo.bounds<2>>",
                        "%r = stablehlo.set_dimension_size %x, %n, dim = 1 : (tensor<2xi64>, tensor<i32>) -> tensor<?xi64, #stablehlo.bounds<2>>",
                        "dimension 1 is out of range [0, 1)"),
                new Case("%r = stablehlo.uniform_quantize %x : (tensor<2xf32>) -> tensor<2x!quant.uniform<i8:f32, 5.000000e-01>>",
                        "%r = stablehlo.uniform_quantize %x : (tensor<2xf32>) -> tensor<2xi8>", "(uniform_quantize_c1)"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void acceptsValidAndRejectsBroken(Case c) {
        assertThatCode(() -> OpSnippet.parse(c.good()).verify()).as(c.good()).doesNotThrowAnyException();
        assertThatThrownBy(() -> OpSnippet.parse(c.bad()).verify()).isInstanceOf(VerificationException.class)
                .hasMessageContaining(c.message());
    }

    @Test
    void everyPartAOpHasACaseOrIsCoveredBelow() {
        java.util.Set<String> covered = new java.util.TreeSet<>();
        cases().forEach(c -> covered.add(OpSnippet.parse(c.good()).op().name()));
        covered.addAll(List.of("stablehlo.constant", "stablehlo.gather", "stablehlo.dynamic_gather", "stablehlo.dot",
                "stablehlo.triangular_solve", "stablehlo.batch_norm_inference", "stablehlo.batch_norm_training",
                "stablehlo.batch_norm_grad", "stablehlo.dynamic_conv", "stablehlo.dynamic_reshape", "stablehlo.real_dynamic_slice",
                "stablehlo.dynamic_pad", "stablehlo.tuple", "stablehlo.unary_einsum", "stablehlo.einsum", "stablehlo.torch_index_select"));
        // Same-template ops share one checked instance above (e.g. multiply with add).
        java.util.Set<String> missing = new java.util.TreeSet<>(PartAOps.NAMES);
        missing.removeAll(covered);
        missing.removeAll(List.of("stablehlo.multiply", "stablehlo.maximum", "stablehlo.minimum", "stablehlo.divide",
                "stablehlo.remainder", "stablehlo.power", "stablehlo.or", "stablehlo.xor", "stablehlo.shift_right_arithmetic",
                "stablehlo.shift_right_logical", "stablehlo.cbrt", "stablehlo.cosine", "stablehlo.exponential",
                "stablehlo.exponential_minus_one", "stablehlo.log", "stablehlo.log_plus_one", "stablehlo.logistic",
                "stablehlo.rsqrt", "stablehlo.sqrt", "stablehlo.tan", "stablehlo.tanh", "stablehlo.ceil",
                "stablehlo.round_nearest_afz", "stablehlo.round_nearest_even", "stablehlo.count_leading_zeros",
                "stablehlo.sign"));
        assertThat(missing).isEmpty();
    }

    // ---- built with Operation.builder ---------------------------------------------------------------

    private static Value arg(Type t) { return Block.builder().addArgument(t); }

    private static final TensorType F2x3 = TensorType.of(FloatType.F32, 2, 3);

    @Test
    void builderGatherChecksSliceSizes() {
        Value operand = arg(TensorType.of(FloatType.F32, 3, 4)), idx = arg(TensorType.of(IntegerType.I32, 2, 1));
        var dn = new io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers(Dims.of(1), Dims.of(0), Dims.EMPTY,
                Dims.EMPTY, Dims.of(0), 1);
        Operation good = Operation.builder("stablehlo.gather").operands(operand, idx).resultType(TensorType.of(FloatType.F32, 2, 4))
                .property("dimension_numbers", dn).property("slice_sizes", DenseArrayAttr.ofI64(1, 4)).build();
        good.def().verifier().verify(good);
        Operation bad = Operation.builder("stablehlo.gather").operands(operand, idx).resultType(TensorType.of(FloatType.F32, 2, 4))
                .property("dimension_numbers", dn).property("slice_sizes", DenseArrayAttr.ofI64(2, 4)).build();
        assertThatThrownBy(() -> bad.def().verifier().verify(bad)).isInstanceOf(VerificationException.class)
                .hasMessageContaining("(gather_c9) slice_sizes[0] = 2 must be 0 or 1: dim 0 is in collapsed_slice_dims");
    }

    @Test
    void builderTriangularSolveAndBatchNorm() {
        TensorType m = TensorType.of(FloatType.F32, 3, 3);
        Operation ts = Operation.builder("stablehlo.triangular_solve").operands(arg(m), arg(m)).resultType(m)
                .property("left_side", io.hlo4j.mlir.attr.BoolAttr.TRUE).property("lower", io.hlo4j.mlir.attr.BoolAttr.TRUE)
                .property("unit_diagonal", io.hlo4j.mlir.attr.BoolAttr.FALSE)
                .property("transpose_a", EnumAttr.transpose("NO_TRANSPOSE")).build();
        ts.def().verifier().verify(ts);
        Operation tsBad = Operation.builder("stablehlo.triangular_solve").operands(arg(m), arg(TensorType.of(FloatType.F32, 3))).resultType(m)
                .property("left_side", io.hlo4j.mlir.attr.BoolAttr.TRUE).property("lower", io.hlo4j.mlir.attr.BoolAttr.TRUE)
                .property("unit_diagonal", io.hlo4j.mlir.attr.BoolAttr.FALSE)
                .property("transpose_a", EnumAttr.transpose("NO_TRANSPOSE")).build();
        assertThatThrownBy(() -> tsBad.def().verifier().verify(tsBad)).hasMessageContaining("(triangular_solve_c1)");

        TensorType x = TensorType.of(FloatType.F32, 2, 3), v = TensorType.of(FloatType.F32, 3), w = TensorType.of(FloatType.F32, 2);
        var eps = new io.hlo4j.mlir.attr.FloatAttr(1e-5, FloatType.F32);
        Operation bn = Operation.builder("stablehlo.batch_norm_inference").operands(arg(x), arg(v), arg(v), arg(v), arg(v)).resultType(x)
                .property("epsilon", eps).property("feature_index", IntegerAttr.i64(1)).build();
        bn.def().verifier().verify(bn);
        Operation bnBad = Operation.builder("stablehlo.batch_norm_inference").operands(arg(x), arg(w), arg(v), arg(v), arg(v)).resultType(x)
                .property("epsilon", eps).property("feature_index", IntegerAttr.i64(1)).build();
        assertThatThrownBy(() -> bnBad.def().verifier().verify(bnBad))
                .hasMessageContaining("(batch_norm_inference_c2) operand #1 must be 1-D of size 3");
    }

    @Test
    void builderDotAndDynamicOps() {
        Operation dot = Operation.builder("stablehlo.dot").operands(arg(F2x3), arg(TensorType.of(FloatType.F32, 3, 4, 5)))
                .resultType(TensorType.of(FloatType.F32, 2, 4)).build();
        assertThatThrownBy(() -> dot.def().verifier().verify(dot)).hasMessageContaining("operands must be vectors or matrices");
        Operation dr = Operation.builder("stablehlo.dynamic_reshape").operands(arg(F2x3), arg(TensorType.of(IntegerType.I32, 2)))
                .resultType(TensorType.of(FloatType.F32, 7)).build();
        assertThatThrownBy(() -> dr.def().verifier().verify(dr)).hasMessageContaining("(dynamic_reshape_c2) output_shape must have 1 elements");
        TensorType idx = TensorType.of(IntegerType.I32, 2);
        Operation rds = Operation.builder("stablehlo.real_dynamic_slice").operands(arg(F2x3), arg(idx), arg(idx), arg(idx))
                .resultType(TensorType.of(FloatType.F32, TensorType.DYNAMIC, 3)).build();
        rds.def().verifier().verify(rds);
        Operation dp = Operation.builder("stablehlo.dynamic_pad").operands(arg(F2x3), arg(F2x3), arg(idx), arg(idx), arg(idx))
                .resultType(F2x3).build();
        assertThatThrownBy(() -> dp.def().verifier().verify(dp)).hasMessageContaining("(dynamic_pad_c1) padding_value must be a scalar");
        var conv = new ConvDimensionNumbers(0, 1, Dims.of(2), 1, 0, Dims.of(2), 0, 1, Dims.of(2));
        Operation dc = Operation.builder("stablehlo.dynamic_conv")
                .operands(arg(TensorType.of(FloatType.F32, 1, 3, 8)), arg(TensorType.of(FloatType.F32, 4, 3, 2)), arg(TensorType.of(IntegerType.I64, 1, 2)))
                .resultType(TensorType.of(FloatType.F32, 1, 4, 7)).property("dimension_numbers", conv)
                .property("feature_group_count", IntegerAttr.i64(1)).property("batch_group_count", IntegerAttr.i64(0)).build();
        assertThatThrownBy(() -> dc.def().verifier().verify(dc)).hasMessageContaining("(dynamic_conv_c22) batch_group_count must be > 0");
        Operation dg = Operation.builder("stablehlo.dot_general").operands(arg(F2x3), arg(F2x3)).resultType(F2x3)
                .property("dot_dimension_numbers", new DotDimensionNumbers(Dims.of(0), Dims.EMPTY, Dims.of(1), Dims.of(1))).build();
        assertThatThrownBy(() -> dg.def().verifier().verify(dg)).hasMessageContaining("(dot_general_c1) lhs and rhs batching dimensions differ in count");
    }

    @Test
    void builderTupleMustMatchOperands() {
        Value a = arg(F2x3);
        Operation good = Operation.builder("stablehlo.tuple").operands(a).resultType(new io.hlo4j.mlir.types.TupleType(List.of(F2x3))).build();
        good.def().verifier().verify(good);
        Operation bad = Operation.builder("stablehlo.tuple").operands(a)
                .resultType(new io.hlo4j.mlir.types.TupleType(List.of(F2x3, F2x3))).build();
        assertThatThrownBy(() -> bad.def().verifier().verify(bad)).hasMessageContaining("(tuple_c1) result must be tuple of the operand types");
    }

    @Test
    void builderLegacyOps() {
        Operation einsum = Operation.builder("stablehlo.einsum").operands(arg(F2x3), arg(F2x3)).resultType(F2x3).build();
        assertThatThrownBy(() -> einsum.def().verifier().verify(einsum)).hasMessageContaining("(attributes) requires attribute 'einsum_config'");
        Operation tis = Operation.builder("stablehlo.torch_index_select").operands(arg(F2x3), arg(TensorType.of(IntegerType.I32, 2)))
                .resultType(F2x3).property("dim", IntegerAttr.i64(0)).property("batch_dims", IntegerAttr.i64(1)).build();
        assertThatThrownBy(() -> tis.def().verifier().verify(tis)).hasMessageContaining("batch_dims 1 must be in [0, dim 0]");
        OpSnippet e = OpSnippet.parse("%r = stablehlo.einsum %a, %b, config = \"ab,bc->ac\" : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>");
        e.verify();
        assertThat(e.print()).isEqualTo("%r = stablehlo.einsum %a, %b, config = \"ab,bc->ac\" : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>");
    }

    @Test
    void convolutionWindowReversalRoundTrips() {
        String text = "%r = stablehlo.convolution(%a, %b) dim_numbers = [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1], window = "
                + "{stride = [2, 2], pad = [[3, 3], [3, 3]], lhs_dilate = [1, 1], rhs_dilate = [1, 1], reverse = [false, true]} "
                + "{batch_group_count = 1 : i64, feature_group_count = 1 : i64, precision_config = [#stablehlo<precision DEFAULT>, "
                + "#stablehlo<precision DEFAULT>]} : (tensor<4x3x224x224xf32>, tensor<64x3x7x7xf32>) -> tensor<4x64x112x112xf32>";
        OpSnippet t = OpSnippet.parse(text);
        t.verify();
        assertThat(t.print()).isEqualTo(text);
        assertThat(OpSnippet.parse(text.replace("reverse = [false, true]", "reverse = [0, 1]")).print()).isEqualTo(text);
    }

    @Test
    void arityIsChecked() {
        Operation add = Operation.builder("stablehlo.add").operands(arg(F2x3)).resultType(F2x3).build();
        assertThatThrownBy(() -> add.def().verifier().verify(add)).isInstanceOf(VerificationException.class)
                .hasMessage("'stablehlo.add' op (arity) expects 2 operand(s), got 1");
    }
}
