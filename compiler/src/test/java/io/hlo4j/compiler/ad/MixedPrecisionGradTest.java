package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mixed precision: bf16 operands with an f32 result (preferred_element_type = f32) on dot_general, ragged_dot and
 * convolution, with long contractions (256, 128, 64 x 3 terms). The VJP must return bf16 cotangents computed by
 * backward products that take and accumulate f32, so each gradient element is the f32 gradient (the same function on
 * the same values in f32) rounded once to bf16: within one bf16 ulp (2^-7 relative) of it.
 */
class MixedPrecisionGradTest {
    private static final String DOT = """
            func.func @f(%x: tensor<4x256xT>, %w: tensor<256x3xT>) -> tensor<4x3xf32> {
              %0 = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<4x256xT>, tensor<256x3xT>) -> tensor<4x3xf32>
              return %0 : tensor<4x3xf32>
            }""";
    private static final String RAGGED = """
            func.func @f(%x: tensor<6x128xT>, %w: tensor<2x128x3xT>, %gs: tensor<2xi32>) -> tensor<6x3xf32> {
              %0 = "chlo.ragged_dot"(%x, %w, %gs) {ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>} : (tensor<6x128xT>, tensor<2x128x3xT>, tensor<2xi32>) -> tensor<6x3xf32>
              return %0 : tensor<6x3xf32>
            }""";
    private static final String CONV = """
            func.func @f(%x: tensor<2x64x5xT>, %k: tensor<3x64x3xT>) -> tensor<2x3x3xf32> {
              %0 = stablehlo.convolution(%x, %k) dim_numbers = [b, f, 0]x[o, i, 0]->[b, f, 0], window = {stride = [1], pad = [[0, 0]]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<2x64x5xT>, tensor<3x64x3xT>) -> tensor<2x3x3xf32>
              return %0 : tensor<2x3x3xf32>
            }""";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"stablehlo.dot_general", "chlo.ragged_dot", "stablehlo.convolution"})
    void bf16OperandsF32Accumulation(String op) {
        String text = switch (op) {
            case "stablehlo.dot_general" -> DOT;
            case "chlo.ragged_dot" -> RAGGED;
            default -> CONV;
        };
        Module bf = GradCheck.parse(text.replace("xT>", "xbf16>")), f32 = GradCheck.parse(text.replace("xT>", "xf32>"));
        Operation fn = bf.functions().get(0);
        int nFloat = 2;
        int[] wrt = {0, 1};
        Module vjp = GradCheck.vjpModule(bf, wrt);

        // Emitted types: bf16 cotangents out; every backward product (all but the forward copy) takes and yields f32.
        Operation g = vjp.functions().get(vjp.functions().size() - 1);
        List<Operation> products = new ArrayList<>();
        for (Operation o : g.region(0).entry().operations()) if (o.name().equals(op)) products.add(o);
        assertThat(products).hasSize(3);
        for (Operation p : products.subList(1, 3)) {
            assertThat(((TensorType) p.result().type()).elementType()).as("%s result", p.name()).isEqualTo(FloatType.F32);
            for (int i = 0; i < 2; i++) assertThat(((TensorType) p.operand(i).type()).elementType()).as("%s operand %d", p.name(), i).isEqualTo(FloatType.F32);
        }
        List<io.hlo4j.mlir.types.Type> outs = ((io.hlo4j.mlir.types.FunctionType) ((io.hlo4j.mlir.attr.TypeAttr) g.attr("function_type")).value()).results();
        assertThat(outs.subList(1, 3)).containsExactly(fn.region(0).entry().argument(0).type(), fn.region(0).entry().argument(1).type());

        // Numbers: the bf16 gradients against the f32 gradients of the same values.
        Random r = new Random(op.hashCode());
        List<HostArray> inBf = new ArrayList<>(), inF32 = new ArrayList<>();
        for (int i = 0; i < nFloat; i++) {
            TensorType t = (TensorType) fn.region(0).entry().argument(i).type();
            float[] v = new float[(int) t.numElements()];
            for (int j = 0; j < v.length; j++) v[j] = (float) (r.nextDouble() * 2 - 1);
            HostArray b = HostArray.fromFloats(t, v);
            inBf.add(b);
            inF32.add(HostArray.fromDoubles(t.withElementType(FloatType.F32), b.toDoubleArray()));
        }
        if (op.equals("chlo.ragged_dot")) {
            HostArray gs = HostArray.fromLongs(TensorType.of(IntegerType.I32, 2), 2, 4);
            inBf.add(gs);
            inF32.add(gs);
        }
        TensorType rt = (TensorType) fn.region(0).entry().terminator().operand(0).type();
        double[] c = new double[(int) rt.numElements()];
        for (int j = 0; j < c.length; j++) c[j] = r.nextDouble() * 2 - 1;
        HostArray ct = HostArray.fromDoubles(rt, c);
        inBf.add(ct);
        inF32.add(ct);
        List<HostArray> gotBf = new Interpreter(vjp).runHost("vjp", inBf);
        List<HostArray> gotF32 = new Interpreter(GradCheck.vjpModule(f32, wrt)).runHost("vjp", inF32);
        for (int a = 0; a < 2; a++) {
            assertThat(gotBf.get(1 + a).elementType()).isEqualTo(FloatType.BF16);
            double[] lo = gotBf.get(1 + a).toDoubleArray(), hi = gotF32.get(1 + a).toDoubleArray();
            for (int j = 0; j < lo.length; j++) {
                assertThat(Math.abs(lo[j] - hi[j])).as("%s: gradient of argument %d element %d: bf16 %s vs f32 %s", op, a, j, lo[j], hi[j])
                        .isLessThanOrEqualTo(Math.abs(hi[j]) * 0x1p-8 + 1e-30);
            }
        }
    }
}
