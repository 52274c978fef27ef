package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.rejects;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.verify;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** chlo.ragged_dot: its attribute, its three modes and the constraints of each. */
class ChloRaggedDotTest {
    private static RaggedDotDimensionNumbers dn(List<Long> lb, List<Long> rb, List<Long> lc, List<Long> rc, List<Long> lr, List<Long> rg) {
        return new RaggedDotDimensionNumbers(lb, rb, lc, rc, lr, rg);
    }

    private static Operation op(String lhs, String rhs, String groups, String result, RaggedDotDimensionNumbers d) {
        Block.Builder args = Block.builder();
        return Operation.builder("chlo.ragged_dot")
                .operands(args.addArgument(MlirParser.parseType(lhs)), args.addArgument(MlirParser.parseType(rhs)),
                        args.addArgument(MlirParser.parseType(groups)))
                .property("ragged_dot_dimension_numbers", d)
                .property("precision_config", ArrayAttr.of(ChloEnumAttr.precision("DEFAULT"), ChloEnumAttr.precision("DEFAULT")))
                .resultType(MlirParser.parseType(result)).build();
    }

    private static Type infer(Operation op) {
        return OpRegistry.global().lookup("chlo.ragged_dot").typeInference()
                .inferResultTypes(op.operandTypes(), op.properties(), List.of()).get(0);
    }

    @Test
    void parsesTheAttributeAsRaggedDotMlirWritesItAndPrintsUpstreamsCompactForm() throws Exception {
        String text = Files.readString(ConformanceFiles.dir().resolve("interpret/chlo/ragged_dot.mlir"));
        Matcher m = Pattern.compile("#chlo\\.ragged_dot<[^>]*>").matcher(text);
        assertThat(m.find()).isTrue();
        Attribute a = MlirParser.parseAttribute(m.group());
        assertThat(a).isEqualTo(dn(List.of(), List.of(), List.of(1L), List.of(1L), List.of(0L), List.of(0L)));
        assertThat(a.toString()).isEqualTo("#chlo.ragged_dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], "
                + "lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>");
        assertThat(MlirParser.parseAttribute(a.toString())).isEqualTo(a);
    }

    @Test
    void attributeParserRejectsUnknownAndDuplicateFields() {
        assertThatThrownBy(() -> MlirParser.parseAttribute("#chlo.ragged_dot<lhs_batching_dims = [0]>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("expected one of");
        assertThatThrownBy(() -> MlirParser.parseAttribute("#chlo.ragged_dot<lhs_ragged_dimensions = [0], lhs_ragged_dimensions = [1]>"))
                .isInstanceOf(ParseException.class).hasMessageContaining("duplicated `lhs_ragged_dimensions`");
        assertThat(MlirParser.parseAttribute("#chlo.ragged_dot<>")).isEqualTo(dn(List.of(), List.of(), List.of(), List.of(), List.of(), List.of()));
    }

    @Test
    void enumAttributes() {
        assertThat(MlirParser.parseAttribute("#chlo<precision HIGHEST>")).isEqualTo(ChloEnumAttr.precision("HIGHEST"));
        assertThat(MlirParser.parseAttribute("#chlo<comparison_direction LT>").toString()).isEqualTo("#chlo<comparison_direction LT>");
        assertThat(ChloEnumAttr.comparisonType("TOTALORDER").ordinal()).isEqualTo(2);
        assertThatThrownBy(() -> MlirParser.parseAttribute("#chlo<precision FAST>")).isInstanceOf(ParseException.class)
                .hasMessageContaining("'FAST' is not a case of chlo precision");
        assertThatThrownBy(() -> MlirParser.parseAttribute("#chlo<rounding DEFAULT>")).isInstanceOf(ParseException.class)
                .hasMessageContaining("unknown chlo attribute 'rounding'");
    }

    @Test
    void mode1RaggedNonContractingAsInRaggedDotMlir() {
        // [m,k] x [g,k,n], [g] -> [m,n]; ragged_dot.mlir case 1: 11x5, 3x5x7, 3 -> 11x7.
        Operation op = op("tensor<11x5xf32>", "tensor<3x5x7xf32>", "tensor<3xi64>", "tensor<11x7xf32>",
                dn(List.of(), List.of(), List.of(1L), List.of(1L), List.of(0L), List.of(0L)));
        verify(op);
        assertThat(ChloRaggedDotOp.mode(ChloRaggedDotOp.dimensionNumbers(op))).isEqualTo(ChloRaggedDotOp.Mode.NON_CONTRACTING);
        assertThat(infer(op)).isEqualTo(MlirParser.parseType("tensor<11x7xf32>"));
    }

    @Test
    void mode1WithBatchingAsInRaggedDotMlir() {
        Operation op = op("tensor<2x11x5xf32>", "tensor<3x2x5x7xf32>", "tensor<3xi64>", "tensor<2x11x7xf32>",
                dn(List.of(0L), List.of(1L), List.of(2L), List.of(2L), List.of(1L), List.of(0L)));
        verify(op);
        assertThat(infer(op)).isEqualTo(MlirParser.parseType("tensor<2x11x7xf32>"));
    }

    @Test
    void mode2RaggedContractingGivesOneResultPerGroup() {
        // Weight gradient: lhs [m,k] and rhs [m,n] contract over the ragged m -> [g,k,n].
        Operation op = op("tensor<11x5xf32>", "tensor<11x7xf32>", "tensor<3xi64>", "tensor<3x5x7xf32>",
                dn(List.of(), List.of(), List.of(0L), List.of(0L), List.of(0L), List.of()));
        verify(op);
        assertThat(ChloRaggedDotOp.mode(ChloRaggedDotOp.dimensionNumbers(op))).isEqualTo(ChloRaggedDotOp.Mode.CONTRACTING);
        assertThat(infer(op)).isEqualTo(MlirParser.parseType("tensor<3x5x7xf32>"));
    }

    @Test
    void mode3RaggedBatch() {
        // [b,m,k] x [b,k,n], [g] -> [b,m,n].
        Operation op = op("tensor<6x4x5xf32>", "tensor<6x5x2xf32>", "tensor<3xi32>", "tensor<6x4x2xf32>",
                dn(List.of(0L), List.of(0L), List.of(2L), List.of(1L), List.of(0L), List.of()));
        verify(op);
        assertThat(ChloRaggedDotOp.mode(ChloRaggedDotOp.dimensionNumbers(op))).isEqualTo(ChloRaggedDotOp.Mode.BATCH);
    }

    @Test
    void groupSizesMayCarryTheBatchPrefix() {
        // Mode 1 with batch b=2: group_sizes [b, g] = [2, 3].
        verify(op("tensor<2x11x5xf32>", "tensor<3x2x5x7xf32>", "tensor<2x3xi64>", "tensor<2x11x7xf32>",
                dn(List.of(0L), List.of(1L), List.of(2L), List.of(2L), List.of(1L), List.of(0L))));
        rejects(op("tensor<2x11x5xf32>", "tensor<3x2x5x7xf32>", "tensor<4x3xi64>", "tensor<2x11x7xf32>",
                dn(List.of(0L), List.of(1L), List.of(2L), List.of(2L), List.of(1L), List.of(0L))),
                "group_sizes is expected to have shape [2, 3], got [4, 3]");
        rejects(op("tensor<2x11x5xf32>", "tensor<3x2x5x7xf32>", "tensor<1x2x3xi64>", "tensor<2x11x7xf32>",
                dn(List.of(0L), List.of(1L), List.of(2L), List.of(2L), List.of(1L), List.of(0L))),
                "expected group_sizes to have rank 2, got 3");
    }

    /** The type rule refuses as the op, naming the values it was given (not an IllegalArgumentException). */
    @Test
    void inferenceRefusesByNameWithTheValues() {
        var mode1 = dn(List.of(), List.of(), List.of(1L), List.of(1L), List.of(0L), List.of(0L));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> infer(op("tensor<11x5xf32>", "tensor<4x5x7xf32>", "tensor<3xi64>", "tensor<11x7xf32>", mode1)))
                .isInstanceOf(io.hlo4j.mlir.ir.VerificationException.class)
                .hasMessage("'chlo.ragged_dot' op rhs group dimension is expected to have size=3, got 4; lhs tensor<11x5xf32>, rhs tensor<4x5x7xf32>, "
                        + "group_sizes tensor<3xi64>, " + mode1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> infer(op("tensor<11x5xf32>", "tensor<3x5x7xf32>", "tensor<3xf32>", "tensor<11x7xf32>", mode1)))
                .isInstanceOf(io.hlo4j.mlir.ir.VerificationException.class).hasMessageStartingWith("'chlo.ragged_dot' op group_sizes must be a tensor of integers");
    }

    @Test
    void rejectsBrokenInstancesNamingTheRule() {
        var mode1 = dn(List.of(), List.of(), List.of(1L), List.of(1L), List.of(0L), List.of(0L));
        rejects(op("tensor<11x5xf32>", "tensor<4x5x7xf32>", "tensor<3xi64>", "tensor<11x7xf32>", mode1),
                "rhs group dimension is expected to have size=3, got 4");
        rejects(op("tensor<11x5xf32>", "tensor<3x5x7xf32>", "tensor<3xi64>", "tensor<11x8xf32>", mode1),
                "inferred shape '[11, 7]' is incompatible with return type of operation tensor<11x8xf32>");
        rejects(op("tensor<11x5xf32>", "tensor<3x5x7xf32>", "tensor<3xf32>", "tensor<11x7xf32>", mode1),
                "group_sizes must be a tensor of integers");
        rejects(op("tensor<11x5xf32>", "tensor<3x5x7xf32>", "tensor<3xi64>", "tensor<11x7xf32>",
                dn(List.of(), List.of(), List.of(1L), List.of(1L), List.of(0L), List.of())),
                "There must be exactly one group dimension in the rhs when the lhs ragged dimension is non-contracting.");
        rejects(op("tensor<11x5xf32>", "tensor<11x7xf32>", "tensor<3xi64>", "tensor<3x5x7xf32>",
                dn(List.of(), List.of(), List.of(0L), List.of(0L), List.of(0L), List.of(1L))),
                "There must be zero group dimensions in the rhs when the ragged dimension is batch or contracting.");
        rejects(op("tensor<11x5xf32>", "tensor<3x5x7xf32>", "tensor<3xi64>", "tensor<11x7xf32>",
                dn(List.of(), List.of(), List.of(1L), List.of(1L), List.of(0L, 1L), List.of(0L))),
                "There must be exactly one ragged dimension in the lhs.");
        rejects(op("tensor<11x5xf32>", "tensor<3x6x7xf32>", "tensor<3xi64>", "tensor<11x7xf32>", mode1),
                "contracting dimension sizes must match");
        rejects(op("tensor<11x5xf32>", "tensor<3x5x7xf32>", "tensor<3xi64>", "tensor<11x7xf32>",
                dn(List.of(), List.of(), List.of(1L), List.of(1L), List.of(2L), List.of(0L))),
                "lhs_ragged_dimensions entry 2 is out of range [0, 2)");
        rejects(op("tensor<11x5xf32>", "tensor<3x5x7xf32>", "tensor<3xi64>", "tensor<11x7xf32>",
                dn(List.of(), List.of(), List.of(1L), List.of(1L), List.of(0L), List.of(1L))),
                "has overlap in rhs_group_dimensions and rhs_contracting_dimensions");
    }

    @Test
    void precisionConfigMustHoldChloPrecisions() {
        Operation good = op("tensor<11x5xf32>", "tensor<3x5x7xf32>", "tensor<3xi64>", "tensor<11x7xf32>",
                dn(List.of(), List.of(), List.of(1L), List.of(1L), List.of(0L), List.of(0L)));
        Operation bad = good.toBuilder().property("precision_config", ArrayAttr.of(ChloEnumAttr.comparisonDirection("EQ"))).build();
        rejects(bad, "precision_config entries must be #chlo<precision ...>");
        ChloEnumAttr d = ChloEnumAttr.precision("DEFAULT");
        rejects(good.toBuilder().property("precision_config", ArrayAttr.of(d, d, d)).build(),
                "expects precision config to be empty or have <= 2 elements, got 3");
        verify(good.toBuilder().property("precision_config", ArrayAttr.of(d)).build());
        assertThat(((TensorType) good.result(0).type()).rank()).isEqualTo(2);
    }
}
