package io.hlo4j.mlir.dialect.check;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.testing.OpSnippet;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;


import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.rejects;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.squash;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.verify;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The check ops: syntax as interpret/check.mlir writes it, upstream's printed form, and the verifiers. */
class CheckOpsTest {
    private static Operation parse(String text) {
        return OpSnippet.parse(text).op();
    }

    private static String roundTrip(String text) {
        OpSnippet s = OpSnippet.parse(text);
        verify(s.op());
        return squash(s.print());
    }

    /** Lines of interpret/check.mlir and probe.mlir that are already in upstream's printed form. */
    @ParameterizedTest
    @ValueSource(strings = {
            "check.expect_eq %operand, %result : tensor<3xi64>",
            "check.expect_eq_const %operand, dense<[-2, 0, 2]> : tensor<3xi64>",
            "check.expect_almost_eq %operand, %result : tensor<f64>",
            "check.expect_close %operand, %result, max_ulp_difference = 3 : tensor<f16>, tensor<f16>",
            "check.expect_close %a, %b, max_ulp_difference = 3, min_ulp_difference = 1 : tensor<2xf32>, tensor<2xf32>",
            "check.expect_serialized_eq %3, probe_id = \"probe_i1\" : tensor<3x1xi1>",
            "check.expect_serialized_eq %one, probe_id = \"probe_iterations\", iter = 0 : tensor<i64>",
    })
    void canonicalFormsPrintUnchanged(String line) {
        assertThat(roundTrip(line)).isEqualTo(line);
    }

    @Test
    void toleranceIsAnF64PropertyPrintedInTheOptionalGroup() {
        Operation op = parse("check.expect_almost_eq %operand, %result, tolerance = 0.1 : tensor<f64>");
        assertThat(op.properties().get("tolerance")).isEqualTo(new FloatAttr(0.1, FloatType.F64));
        assertThat(CheckAttrs.tolerance(op)).isEqualTo(0.1);
        assertThat(roundTrip("check.expect_almost_eq %operand, %result, tolerance = 0.1 : tensor<f64>"))
                .isEqualTo("check.expect_almost_eq %operand, %result, tolerance = 1.000000e-01 : tensor<f64>");
    }

    @Test
    void toleranceWrittenInTheAttrDictBecomesTheInherentAttribute() {
        // interpret/check.mlir writes it this way; upstream's printer moves it into the ", tolerance = " group.
        Operation op = parse("check.expect_almost_eq_const %operand, dense<5> : tensor<i64> {tolerance = 0.1 : f64}");
        assertThat(op.properties().asMap()).containsKeys("value", "tolerance");
        assertThat(op.attributes().isEmpty()).isTrue();
    }

    @Test
    void defaultsApplyWhenAttributesAreAbsent() {
        Operation almost = parse("check.expect_almost_eq %a, %b : tensor<2xf32>");
        assertThat(CheckAttrs.tolerance(almost)).isEqualTo(1e-4);
        Operation close = parse("check.expect_close %a, %b, max_ulp_difference = 3 : tensor<2xf32>, tensor<2xf32>");
        assertThat(CheckAttrs.maxUlpDifference(close)).isEqualTo(3);
        assertThat(CheckAttrs.minUlpDifference(close)).isZero();
        assertThat(close.properties().get("max_ulp_difference")).isEqualTo(new IntegerAttr(3, IntegerType.UI64));
        Operation probe = parse("check.expect_serialized_eq %x, probe_id = \"p\" : tensor<i64>");
        assertThat(CheckAttrs.iteration(probe)).isZero();
        assertThat(CheckAttrs.probeId(probe)).isEqualTo("p");
    }

    @Test
    void constOperandTakesTheConstantsType() {
        Operation op = parse("check.expect_eq_const %x, dense<[1, 2]> : tensor<2xi32>");
        assertThat(op.operand(0).type()).isEqualTo(TensorType.of(IntegerType.I32, 2));
        assertThat(CheckAttrs.value(op).type()).isEqualTo(TensorType.of(IntegerType.I32, 2));
    }

    @Test
    void parseErrorsNameWhatWasExpected() {
        assertThatThrownBy(() -> parse("check.expect_close %a, %b : tensor<2xf32>, tensor<2xf32>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("expected ','");
        assertThatThrownBy(() -> parse("check.expect_eq_const %a, 3 : i64"))
                .isInstanceOf(ParseException.class).hasMessageContaining("expects a dense elements constant");
    }

    // ---- verifiers ------------------------------------------------------------------------------

    private static Value arg(String type) { return Block.builder().addArgument(MlirParser.parseType(type)); }

    @Test
    void expectEqRequiresSameTypes() {
        Operation op = Operation.builder("check.expect_eq").operands(arg("tensor<2xi32>"), arg("tensor<2xi64>")).build();
        rejects(op, "SameTypeOperands");
    }

    @Test
    void expectEqConstRequiresMatchingConstantType() {
        DenseElementsAttr c = DenseElementsAttr.of(TensorType.of(IntegerType.I64, 2), new byte[16]);
        Operation bad = Operation.builder("check.expect_eq_const").operand(arg("tensor<2xi32>")).property("value", c).build();
        rejects(bad, "AllTypesMatch");
        Operation missing = Operation.builder("check.expect_eq_const").operand(arg("tensor<2xi64>")).build();
        rejects(missing, "requires attribute 'value'");
        Operation good = Operation.builder("check.expect_eq_const").operand(arg("tensor<2xi64>")).property("value", c).build();
        verify(good);
    }

    @Test
    void almostEqRequiresFloatOrComplexAndSaneTolerance() {
        rejects(parse("check.expect_almost_eq %a, %b : tensor<2xi32>"), "floating-point or complex");
        rejects(parse("check.expect_almost_eq %a, %b, tolerance = -1.0 : tensor<2xf32>"), "tolerance must be a finite, non-negative");
        verify(parse("check.expect_almost_eq %a, %b : tensor<2xcomplex<f32>>"));
    }

    @Test
    void expectCloseRejectsInvertedUlpRangeAndIntegers() {
        rejects(parse("check.expect_close %a, %b, max_ulp_difference = 1, min_ulp_difference = 2 : tensor<f32>, tensor<f32>"),
                "min_ulp_difference (2) must not exceed max_ulp_difference (1)");
        rejects(parse("check.expect_close %a, %b, max_ulp_difference = 1 : tensor<i32>, tensor<i32>"), "floating-point or complex");
        rejects(parse("check.expect_close %a, %b, max_ulp_difference = 1 : tensor<f32>, tensor<f16>"), "AllTypesMatch");
    }

    @Test
    void serializedEqRequiresProbeId() {
        Operation op = Operation.builder("check.expect_serialized_eq").operand(arg("tensor<i64>")).property("probe_id", new StringAttr(""))
                .build();
        rejects(op, "probe_id must not be empty");
        rejects(Operation.builder("check.expect_serialized_eq").operand(arg("tensor<i64>")).build(), "requires attribute 'probe_id'");
    }

    @Test
    void checkOpsHaveNoResults() {
        Operation op = Operation.builder("check.expect_eq").operands(arg("tensor<i1>"), arg("tensor<i1>")).resultTypes(arg("tensor<i1>").type())
                .build();
        rejects(op, "expects 0 results, got 1");
    }
}
