package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.runtime.interp.Ir.shape;
import static io.hlo4j.runtime.interp.Ir.t;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** chlo.broadcast_* against hand-broadcast values, and the small chlo elementwise ops against hand values. */
class ChloBroadcastKernelsTest {
    static final FloatType F32 = FloatType.F32;

    /** Runs {@code op(a, b)} with the given result type and properties. */
    static Tensor run2(String op, Tensor a, Tensor b, TensorType result, Object... props) {
        Ir ir = new Ir();
        Value x = ir.arg(a.type), y = ir.arg(b.type);
        return (Tensor) Ir.run(ir.func("main", ir.op(op, List.of(x, y), result, props)), a, b).get(0);
    }

    static Tensor run1(String op, Tensor a, TensorType result, Object... props) {
        Ir ir = new Ir();
        Value x = ir.arg(a.type);
        return (Tensor) Ir.run(ir.func("main", ir.op(op, List.of(x), result, props)), a).get(0);
    }

    @Test
    void addBroadcastsTheTrailingDimensionsNumpyStyle() {
        Tensor a = Ir.reals(F32, shape(2, 3), 1, 2, 3, 4, 5, 6), b = Ir.reals(F32, shape(3), 10, 20, 30);
        assertThat(run2("chlo.broadcast_add", a, b, t(F32, 2, 3)).re).containsExactly(11, 22, 33, 14, 25, 36);
        // operand order is kept: b - a, b broadcast along the leading dimension
        assertThat(run2("chlo.broadcast_sub", b, a, t(F32, 2, 3)).re).containsExactly(9, 18, 27, 6, 15, 24);
    }

    @Test
    void broadcastDimensionsPlaceTheLowerRankOperand() {
        Tensor a = Ir.reals(F32, shape(2, 3), 1, 2, 3, 4, 5, 6), b = Ir.reals(F32, shape(2), 100, 200);
        Tensor r = run2("chlo.broadcast_mul", a, b, t(F32, 2, 3), "broadcast_dimensions", Ir.i64s(0));
        assertThat(r.re).containsExactly(100, 200, 300, 800, 1000, 1200);
    }

    @Test
    void sizeOneDimensionsStretchOnBothSides() {
        Tensor a = Ir.ints(IntegerType.I32, shape(2, 1), 10, 20), b = Ir.ints(IntegerType.I32, shape(1, 3), 1, 2, 3);
        assertThat(run2("chlo.broadcast_sub", a, b, t(IntegerType.I32, 2, 3)).ints).containsExactly(9, 8, 7, 19, 18, 17);
        // integer division and remainder keep their stablehlo semantics (truncation, sign of the dividend)
        Tensor n = Ir.ints(IntegerType.I32, shape(2), -7, 7), d = Ir.ints(IntegerType.I32, shape(), 2);
        assertThat(run2("chlo.broadcast_div", n, d, t(IntegerType.I32, 2)).ints).containsExactly(-3, 3);
        assertThat(run2("chlo.broadcast_rem", n, d, t(IntegerType.I32, 2)).ints).containsExactly(-1, 1);
        assertThat(run2("chlo.broadcast_shift_left", n, d, t(IntegerType.I32, 2)).ints).containsExactly(-28, 28);
        assertThat(run2("chlo.broadcast_max", n, d, t(IntegerType.I32, 2)).ints).containsExactly(2, 7);
    }

    @Test
    void compareBroadcastsAScalarAndReadsTheChloDirection() {
        Tensor a = Ir.reals(F32, shape(4), 1, 2, Double.NaN, 3), b = Ir.reals(F32, shape(), 2);
        Tensor r = run2("chlo.broadcast_compare", a, b, t(IntegerType.I1, 4),
                "comparison_direction", Ir.text("#chlo<comparison_direction GE>"), "compare_type", Ir.text("#chlo<comparison_type FLOAT>"));
        assertThat(r.ints).containsExactly(0, 1, 0, 1);
    }

    @Test
    void complexPairsBroadcastParts() {
        Tensor re = Ir.reals(F32, shape(2), 1, 2), im = Ir.reals(F32, shape(), 5);
        Tensor r = run2("chlo.broadcast_complex", re, im, t(new ComplexType(F32), 2));
        assertThat(r.re).containsExactly(1, 2);
        assertThat(r.im).containsExactly(5, 5);
    }

    @Test
    void selectBroadcastsAllThreeOperands() {
        Tensor p = Ir.ints(IntegerType.I1, shape(3), 1, 0, 1);
        Tensor on = Ir.reals(F32, shape(2, 3), 1, 2, 3, 4, 5, 6), off = Ir.reals(F32, shape(), -1);
        Ir ir = new Ir();
        Value a = ir.arg(p.type), b = ir.arg(on.type), c = ir.arg(off.type);
        Tensor r = (Tensor) Ir.run(ir.func("main", ir.op("chlo.broadcast_select", List.of(a, b, c), t(F32, 2, 3))), p, on, off).get(0);
        assertThat(r.re).containsExactly(1, -1, 3, 4, -1, 6);
    }

    @Test
    void nextAfterAndZetaBroadcastToTheirElementwiseOps() {
        Tensor x = Ir.reals(F32, shape(2), 1, -1), y = Ir.reals(F32, shape(), 2);
        Tensor r = run2("chlo.broadcast_next_after", x, y, t(F32, 2));
        assertThat(r.re).containsExactly(Math.nextUp(1f), Math.nextUp(-1f));
        Tensor s = Ir.reals(F32, shape(), 2), q = Ir.reals(F32, shape(2), 1, 2);
        Tensor z = run2("chlo.broadcast_zeta", s, q, t(F32, 2));
        assertThat(z.re[0]).isCloseTo(Math.PI * Math.PI / 6, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(z.re[1]).isCloseTo(Math.PI * Math.PI / 6 - 1, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void incompatibleShapesAreRefusedByName() {
        Tensor a = Ir.reals(F32, shape(2, 3), 1, 2, 3, 4, 5, 6), b = Ir.reals(F32, shape(4), 1, 2, 3, 4);
        assertThatThrownBy(() -> run2("chlo.broadcast_add", a, b, t(F32, 2, 3)))
                .hasMessageContaining("chlo.broadcast_add").hasMessageContaining("tensor<4xf32>").hasMessageContaining("[2, 3]");
    }

    @Test
    void isInfFamily() {
        Tensor x = Ir.reals(F32, shape(5), Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 3e38, 0);
        assertThat(run1("chlo.is_inf", x, t(IntegerType.I1, 5)).ints).containsExactly(1, 1, 0, 0, 0);
        assertThat(run1("chlo.is_pos_inf", x, t(IntegerType.I1, 5)).ints).containsExactly(1, 0, 0, 0, 0);
        assertThat(run1("chlo.is_neg_inf", x, t(IntegerType.I1, 5)).ints).containsExactly(0, 1, 0, 0, 0);
    }

    @Test
    void constantsAndConstantLike() {
        Tensor x = Ir.reals(F32, shape(2, 2), 1, 2, 3, 4);
        assertThat(run1("chlo.constant_like", x, t(F32, 2, 2), "value", new FloatAttr(0.1, F32)).re)
                .containsOnly((double) 0.1f).hasSize(4);
        Tensor i = Ir.ints(IntegerType.I8, shape(3), 1, 2, 3);
        assertThat(run1("chlo.constant_like", i, t(IntegerType.I8, 3), "value", new IntegerAttr(-5, IntegerType.I8)).ints)
                .containsExactly(-5, -5, -5);
        TensorType ct = t(IntegerType.I32, 2);
        DenseElementsAttr v = DenseElementsAttr.of(ct, Bytes.encode(Ir.ints(IntegerType.I32, shape(2), 7, -9)));
        Ir ir = new Ir();
        Tensor r = (Tensor) Ir.run(ir.func("main", ir.op("chlo.constant", List.of(), ct, "value", v))).get(0);
        assertThat(r.ints).containsExactly(7, -9);
    }

    @Test
    void squareAndConj() {
        Tensor x = Ir.reals(F32, shape(3), -3, 0.5, 1e20);
        assertThat(run1("chlo.square", x, x.type).re).containsExactly(9, 0.25, Double.POSITIVE_INFINITY);
        TensorType c = t(new ComplexType(F32), 2);
        Tensor z = Tensor.ofComplex(c, new double[] {1, 3}, new double[] {2, -4});
        Tensor sq = run1("chlo.square", z, c);
        assertThat(sq.re).containsExactly(-3, -7); // (1+2i)^2 = -3+4i, (3-4i)^2 = -7-24i
        assertThat(sq.im).containsExactly(4, -24);
        Tensor cj = run1("chlo.conj", z, c);
        assertThat(cj.re).containsExactly(1, 3);
        assertThat(cj.im).containsExactly(-2, 4);
        assertThat(run1("chlo.conj", x, x.type).re).containsExactly(-3, 0.5, (double) 1e20f);
    }
}
