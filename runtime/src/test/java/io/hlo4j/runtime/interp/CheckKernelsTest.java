package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatKind;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.runtime.interp.Ir.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checks' tolerances (reference doc section 2.3), on hand-picked values. */
class CheckKernelsTest {
    static void customCall(String target, Tensor actual, Tensor expected) {
        Ir ir = new Ir();
        Value a = ir.arg(actual.type), e = ir.arg(expected.type);
        ir.ops("stablehlo.custom_call", List.of(a, e), List.of(), List.of(), "call_target_name", new StringAttr(target));
        Ir.run(ir.func("main"), actual, expected);
    }

    @Test
    void ulpDistanceInTheElementsOwnFormat() {
        assertThat(CheckKernels.ulp(FloatKind.F32, 1.0, Math.nextUp(1.0f))).isEqualTo(1);
        assertThat(CheckKernels.ulp(FloatKind.F32, -0.0, 0.0)).isEqualTo(0);
        assertThat(CheckKernels.ulp(FloatKind.F32, Float.MIN_VALUE, -Float.MIN_VALUE)).isEqualTo(2);
        assertThat(CheckKernels.ulp(FloatKind.BF16, 1.0, 1.0078125)).isEqualTo(1);
        assertThat(CheckKernels.ulp(FloatKind.F64, Double.NaN, -Double.NaN)).isEqualTo(0);
        assertThat(CheckKernels.ulp(FloatKind.F64, Double.POSITIVE_INFINITY, Double.MAX_VALUE)).isEqualTo(-1);
    }

    @Test
    void expectCloseAllowsThreeUlp() {
        float one = 1.0f;
        Tensor a = Ir.reals(FloatType.F32, shape(1), one);
        assertThatCode(() -> customCall("check.expect_close", a,
                Ir.reals(FloatType.F32, shape(1), Math.nextUp(Math.nextUp(Math.nextUp(one)))))).doesNotThrowAnyException();
        assertThatThrownBy(() -> customCall("check.expect_close", a,
                Ir.reals(FloatType.F32, shape(1), Math.nextUp(Math.nextUp(Math.nextUp(Math.nextUp(one)))))))
                .isInstanceOf(CheckFailure.class).hasMessageContaining("4 ULP");
    }

    @Test
    void expectEqIsIeeeEquality() {
        assertThatCode(() -> customCall("check.expect_eq", Ir.reals(FloatType.F32, shape(1), -0.0),
                Ir.reals(FloatType.F32, shape(1), 0.0))).doesNotThrowAnyException();
        assertThatThrownBy(() -> customCall("check.expect_eq", Ir.reals(FloatType.F32, shape(1), Double.NaN),
                Ir.reals(FloatType.F32, shape(1), Double.NaN))).isInstanceOf(CheckFailure.class);
        assertThatThrownBy(() -> customCall("check.expect_eq", Ir.ints(IntegerType.I32, shape(2), 1, 2),
                Ir.ints(IntegerType.I32, shape(2), 1, 3))).hasMessageContaining("element [1]: got 2, expected 3");
    }

    @Test
    void expectAlmostEqUsesAbsoluteOneThousandth() {
        assertThatCode(() -> customCall("check.expect_almost_eq", Ir.reals(FloatType.F64, shape(2), 1.0, Double.NaN),
                Ir.reals(FloatType.F64, shape(2), 1.000999, Double.NaN))).doesNotThrowAnyException();
        assertThatThrownBy(() -> customCall("check.expect_almost_eq", Ir.reals(FloatType.F64, shape(1), 1.0),
                Ir.reals(FloatType.F64, shape(1), 1.0011))).isInstanceOf(CheckFailure.class);
        assertThatThrownBy(() -> customCall("check.expect_almost_eq", Ir.reals(FloatType.F64, shape(1), Double.POSITIVE_INFINITY),
                Ir.reals(FloatType.F64, shape(1), 1e308))).isInstanceOf(CheckFailure.class);
    }

    @Test
    void dialectAlmostEqDefaultsToOneTenThousandth() {
        Tensor a = Ir.reals(FloatType.F64, shape(1), 5.0);
        assertThatCode(() -> Ir.run(almostEq(a), a, Ir.reals(FloatType.F64, shape(1), 5.0001))).doesNotThrowAnyException();
        assertThatThrownBy(() -> Ir.run(almostEq(a), a, Ir.reals(FloatType.F64, shape(1), 5.00011))).isInstanceOf(CheckFailure.class);
    }

    static io.hlo4j.mlir.ir.Operation almostEq(Tensor a) {
        Ir ir = new Ir();
        Value x = ir.arg(a.type), y = ir.arg(a.type);
        ir.ops("check.expect_almost_eq", List.of(x, y), List.of(), List.of());
        return ir.func("main");
    }
}
