package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;

/** The MoE-specific ops: top_k routing, ragged_dot expert matmuls, ragged_all_to_all dispatch. */
class MoeKernelsTest {
    @Test
    void topKIsDescendingWithTiesToTheLowerIndex() {
        Tensor x = Ir.reals(FloatType.F32, shape(2, 4), 1, 5, 5, 2, -1, Double.NaN, 0, 3);
        Ir ir = new Ir();
        Value a = ir.arg(x.type);
        var rs = ir.ops("chlo.top_k", List.of(a), List.of(t(FloatType.F32, 2, 2), t(IntegerType.I32, 2, 2)), List.of(), "k", Ir.i64(2));
        List<RtValue> out = Ir.run(ir.func("main", rs.get(0), rs.get(1)), x);
        assertThat(((Tensor) out.get(1)).ints).containsExactly(1, 2, 1, 3); // NaN sorts above everything (total order)
        assertThat(((Tensor) out.get(0)).re[0]).isEqualTo(5);
        assertThat(((Tensor) out.get(0)).re[3]).isEqualTo(3);
    }

    static final String RAGGED_MODE1 = "#chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], "
            + "lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>";

    @Test
    void raggedDotMode1MultipliesEachRowByItsGroupsMatrix() {
        // 4 tokens x 1 feature, 2 experts with 1x1 weights 10 and 100; groups of sizes 1 and 2 (token 3 is in no group)
        Tensor lhs = Ir.reals(FloatType.F32, shape(4, 1), 1, 2, 3, 4);
        Tensor rhs = Ir.reals(FloatType.F32, shape(2, 1, 1), 10, 100);
        Tensor gs = Ir.ints(IntegerType.I64, shape(2), 1, 2);
        Ir ir = new Ir();
        Value l = ir.arg(lhs.type), r = ir.arg(rhs.type), g = ir.arg(gs.type);
        Value o = ir.op("chlo.ragged_dot", List.of(l, r, g), t(FloatType.F32, 4, 1), "ragged_dot_dimension_numbers", Ir.text(RAGGED_MODE1));
        assertThat(((Tensor) Ir.run(ir.func("main", o), lhs, rhs, gs).get(0)).re).containsExactly(10, 200, 300, 0);
    }

    @Test
    void raggedDotMode2ContractsEachGroupsRowsOnly() {
        Tensor lhs = Ir.reals(FloatType.F32, shape(3, 1), 1, 2, 3);  // [m, k]
        Tensor rhs = Ir.reals(FloatType.F32, shape(3, 1), 1, 1, 1);  // [m, n]
        Tensor gs = Ir.ints(IntegerType.I64, shape(2), 2, 1);
        Ir ir = new Ir();
        Value l = ir.arg(lhs.type), r = ir.arg(rhs.type), g = ir.arg(gs.type);
        Value o = ir.op("chlo.ragged_dot", List.of(l, r, g), t(FloatType.F32, 2, 1, 1), "ragged_dot_dimension_numbers",
                Ir.text("#chlo.ragged_dot<lhs_contracting_dimensions = [0], rhs_contracting_dimensions = [0], lhs_ragged_dimensions = [0], rhs_group_dimensions = []>"));
        assertThat(((Tensor) Ir.run(ir.func("main", o), lhs, rhs, gs).get(0)).re).containsExactly(3, 3);
    }

    @Test
    void raggedAllToAllOnTwoDevicesMovesTheChunks() {
        TensorType data = t(FloatType.F32, 4), idx = t(IntegerType.I64, 2);
        Ir ir = new Ir();
        Value in = ir.arg(data), outBuf = ir.arg(data), inOff = ir.arg(idx), send = ir.arg(idx), outOff = ir.arg(idx), recv = ir.arg(idx);
        Tensor groups = Ir.ints(IntegerType.I64, shape(1, 2), 0, 1);
        // channel_id > 0: the ids are partition ids (cross_partition), as JAX lowers it under SPMD
        var cfg = DictionaryAttr.of(Map.of("replica_groups", DenseElementsAttr.of(groups.type, Bytes.encode(groups)),
                "channel_id", io.hlo4j.mlir.attr.IntegerAttr.i64(1)));
        Value r = ir.ops("stablehlo.custom_call", List.of(in, outBuf, inOff, send, outOff, recv), List.of(data), List.of(),
                "call_target_name", new StringAttr("ragged_all_to_all"), "backend_config", cfg).get(0);
        var f = ir.func("main", r);
        // device 0 sends rows [0,1) to itself and [1,3) to device 1; device 1 sends [0,2) to 0 and [2,3) to itself.
        // output_offsets name where the chunk lands in the receiver's output.
        List<List<RtValue>> inputs = new ArrayList<>();
        inputs.add(List.of(Ir.reals(FloatType.F32, shape(4), 1, 2, 3, 4), Ir.reals(FloatType.F32, shape(4), -1, -1, -1, -1),
                Ir.ints(IntegerType.I64, shape(2), 0, 1), Ir.ints(IntegerType.I64, shape(2), 1, 2),
                Ir.ints(IntegerType.I64, shape(2), 0, 0), Ir.ints(IntegerType.I64, shape(2), 1, 2)));
        inputs.add(List.of(Ir.reals(FloatType.F32, shape(4), 5, 6, 7, 8), Ir.reals(FloatType.F32, shape(4), -1, -1, -1, -1),
                Ir.ints(IntegerType.I64, shape(2), 0, 2), Ir.ints(IntegerType.I64, shape(2), 2, 1),
                Ir.ints(IntegerType.I64, shape(2), 1, 2), Ir.ints(IntegerType.I64, shape(2), 2, 1)));
        var out = new Interpreter(Ir.module(f)).runParallel("main", 1, 2, inputs);
        assertThat(((Tensor) out.get(0).get(0)).re).containsExactly(1, 5, 6, -1);
        assertThat(((Tensor) out.get(1).get(0)).re).containsExactly(2, 3, 7, -1);
    }

    @Test
    void complexInverseSineMatchesMpmath() {
        double[] o = new double[2];
        double[][] cases = { // z, asin(z), asinh(z) from mpmath at 30 digits
                {0.3, 0.4, 0.2806295622918058, 0.4051123371780309, 0.3189624333048184, 0.3903162045220237},
                {5, -3, 1.023821746511783, -2.452913742502812, 2.4598315216234345, -0.5339990695941687}};
        for (double[] c : cases) {
            ComplexInverse.asin(c[0], c[1], o);
            assertThat(o[0]).isCloseTo(c[2], org.assertj.core.data.Offset.offset(1e-15));
            assertThat(o[1]).isCloseTo(c[3], org.assertj.core.data.Offset.offset(1e-15));
            ComplexInverse.asinh(c[0], c[1], o);
            assertThat(o[0]).isCloseTo(c[4], org.assertj.core.data.Offset.offset(1e-15));
            assertThat(o[1]).isCloseTo(c[5], org.assertj.core.data.Offset.offset(1e-15));
        }
        ComplexInverse.asin(-1e-9, 1, o); // near the imaginary axis, where log(z + sqrt(z^2+1)) cancels
        assertThat(o[0]).isCloseTo(-7.071067811865476e-10, org.assertj.core.data.Percentage.withPercentage(1e-9));
        assertThat(o[1]).isCloseTo(0.881373587019543, org.assertj.core.data.Offset.offset(1e-15));
    }

    @Test
    void specialFunctionsMatchKnownValues() {
        assertThat(SpecialFunctions.erf(0.5)).isCloseTo(0.5204998778130465, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(SpecialFunctions.erfc(3.0)).isCloseTo(2.209049699858544e-05, org.assertj.core.data.Percentage.withPercentage(1e-10));
        assertThat(SpecialFunctions.erfInv(SpecialFunctions.erf(0.3))).isCloseTo(0.3, org.assertj.core.data.Offset.offset(1e-14));
        assertThat(SpecialFunctions.lgamma(0.5)).isCloseTo(Math.log(Math.sqrt(Math.PI)), org.assertj.core.data.Offset.offset(1e-14));
        assertThat(SpecialFunctions.lgamma(10)).isCloseTo(Math.log(362880), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(SpecialFunctions.digamma(1)).isCloseTo(-0.5772156649015329, org.assertj.core.data.Offset.offset(1e-14));
        assertThat(SpecialFunctions.besselI1e(1)).isCloseTo(0.2079104153497085, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(SpecialFunctions.besselI1e(50)).isCloseTo(0.0559931238928954, org.assertj.core.data.Offset.offset(1e-15)); // values from mpmath at 30 digits;
    }
}
