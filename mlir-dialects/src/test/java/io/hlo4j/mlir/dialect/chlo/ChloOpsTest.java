package io.hlo4j.mlir.dialect.chlo;

import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.FloatAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.testing.OpSnippet;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.Type;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.rejects;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.squash;
import static io.hlo4j.mlir.dialect.check.testing.OpAssertions.verify;
import static org.assertj.core.api.Assertions.assertThat;

/** chlo's other ops: top_k, the elementwise families, broadcasting, constants and scan. */
class ChloOpsTest {
    private static Operation parse(String text) { return OpSnippet.parse(text).op(); }

    private static Value arg(String type) { return Block.builder().addArgument(MlirParser.parseType(type)); }

    // ---- top_k ----------------------------------------------------------------------------------

    @Test
    void topKInfersValuesAndI32IndicesAndNamesThem() {
        Operation op = parse("%values, %indices = chlo.top_k(%0, k = 2) : tensor<16x8xf32> -> (tensor<16x2xf32>, tensor<16x2xi32>)");
        verify(op);
        OpDef def = op.def();
        assertThat(def.resultNamer().names(op)).containsExactly("values", "indices");
        assertThat(def.typeInference().inferResultTypes(op.operandTypes(), op.properties(), List.of()))
                .containsExactly(MlirParser.parseType("tensor<16x2xf32>"), MlirParser.parseType("tensor<16x2xi32>"));
        assertThat(ChloTopKOp.isStable(op)).isTrue();
    }

    /** The type rules refuse by name (a VerificationException of the op, with the values), never a cast or argument error. */
    @Test
    void typeRulesRefuseByName() {
        Type x = MlirParser.parseType("tensor<2x3xf32>"), i1 = MlirParser.parseType("tensor<3xi1>");
        var k4 = io.hlo4j.mlir.attr.DictionaryAttr.of(java.util.Map.of("k", IntegerAttr.i64(4)));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OpRegistry.global().lookup("chlo.top_k").typeInference()
                        .inferResultTypes(List.of(x), k4, List.of())).isInstanceOf(io.hlo4j.mlir.ir.VerificationException.class)
                .hasMessage("'chlo.top_k' op operand's last dimension must be at least 4; operand tensor<2x3xf32>, k = 4");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OpRegistry.global().lookup("chlo.top_k").typeInference()
                        .inferResultTypes(List.of(x), io.hlo4j.mlir.attr.DictionaryAttr.of(java.util.Map.of()), List.of()))
                .isInstanceOf(io.hlo4j.mlir.ir.VerificationException.class).hasMessage("'chlo.top_k' op requires attribute 'k' (an i64 integer)");
        var none = io.hlo4j.mlir.attr.DictionaryAttr.of(java.util.Map.of());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OpRegistry.global().lookup("chlo.broadcast_add").typeInference()
                        .inferResultTypes(List.of(x, MlirParser.parseType("tensor<2xf32>")), none, List.of()))
                .isInstanceOf(io.hlo4j.mlir.ir.VerificationException.class)
                .hasMessage("'chlo.broadcast_add' op shapes [2, 3] and [2] are not broadcast-compatible: dimension sizes 2 and 3 differ and neither is 1");
        // numpy broadcasting: [2, 1] with [3] is [2, 3]; compare gives i1; select broadcasts all three.
        assertThat(OpRegistry.global().lookup("chlo.broadcast_compare").typeInference().inferResultTypes(
                List.of(MlirParser.parseType("tensor<2x1xf32>"), MlirParser.parseType("tensor<3xf32>")), none, List.of()))
                .containsExactly(MlirParser.parseType("tensor<2x3xi1>"));
        assertThat(OpRegistry.global().lookup("chlo.broadcast_select").typeInference().inferResultTypes(
                List.of(i1, MlirParser.parseType("tensor<2x1xf32>"), MlirParser.parseType("tensor<f32>")), none, List.of()))
                .containsExactly(MlirParser.parseType("tensor<2x3xf32>"));
    }

    @Test
    void topKIsStableIsPrintedWhenSet() {
        OpSnippet s = OpSnippet.parse("%v, %i = chlo.top_k(%x, k = 3, is_stable = false) : tensor<6xi32> -> (tensor<3xi32>, tensor<3xi32>)");
        Operation op = s.op();
        verify(op);
        assertThat(op.properties().get("is_stable")).isEqualTo(BoolAttr.FALSE);
        assertThat(ChloTopKOp.isStable(op)).isFalse();
        String printed = squash(s.print());
        assertThat(printed.substring(printed.indexOf("chlo."))).isEqualTo(
                "chlo.top_k(%x, k = 3, is_stable = false) : tensor<6xi32> -> (tensor<3xi32>, tensor<3xi32>)");
    }

    @Test
    void topKRejectsKBeyondTheLastDimensionANegativeKAndWrongResults() {
        rejects(parse("%v, %i = chlo.top_k(%x, k = 9) : tensor<16x8xf32> -> (tensor<16x9xf32>, tensor<16x9xi32>)"),
                "operand's last dimension must be at least 9; operand tensor<16x8xf32>, k = 9");
        rejects(parse("%v, %i = chlo.top_k(%x, k = -1) : tensor<16x8xf32> -> (tensor<16x8xf32>, tensor<16x8xi32>)"),
                "k must be non-negative, got -1; operand tensor<16x8xf32>, k = -1");
        rejects(parse("%v, %i = chlo.top_k(%x, k = 2) : tensor<16x8xf32> -> (tensor<16x2xf32>, tensor<16x2xi64>)"),
                "inferred type tensor<16x2xi32> is incompatible with indices type tensor<16x2xi64>");
        rejects(parse("%v, %i = chlo.top_k(%x, k = 1) : tensor<f32> -> (tensor<f32>, tensor<i32>)"), "operand's rank must be at least 1");
    }

    // ---- elementwise ----------------------------------------------------------------------------

    @Test
    void unaryOpsCheckTheirElementTypes() {
        rejects(parse("%r = chlo.erf %x : tensor<4xi32> -> tensor<4xi32>"), "operand must be a tensor of floating-point elements");
        rejects(parse("%r = chlo.lgamma %x : tensor<4xcomplex<f32>> -> tensor<4xcomplex<f32>>"), "floating-point elements");
        verify(parse("%r = chlo.asinh %x : tensor<4xcomplex<f32>> -> tensor<4xcomplex<f32>>"));
        rejects(parse("%r = chlo.tan %x : tensor<4xf32> -> tensor<4xf64>"), "CompatibleOperandsAndResultType");
        verify(parse("%r = chlo.tan %x : tensor<?xf32> -> tensor<4xf32>"));
    }

    @Test
    void isInfProducesBooleans() {
        Operation op = parse("%r = chlo.is_inf %x : tensor<4xf32> -> tensor<4xi1>");
        verify(op);
        assertThat(op.def().typeInference().inferResultTypes(op.operandTypes(), op.properties(), List.of()))
                .containsExactly(MlirParser.parseType("tensor<4xi1>"));
        rejects(parse("%r = chlo.is_pos_inf %x : tensor<4xf32> -> tensor<4xf32>"), "result must be a tensor of i1");
    }

    @Test
    void binaryOps() {
        verify(parse("%r = chlo.next_after %a, %b : tensor<20x20xf16>, tensor<20x20xf16> -> tensor<20x20xf16>"));
        rejects(parse("%r = chlo.next_after %a, %b : tensor<4xf16>, tensor<4xf32> -> tensor<4xf16>"), "CompatibleOperandsAndResultType");
        verify(parse("%r = chlo.mulhi %a, %b : tensor<2xui16>, tensor<2xui16> -> tensor<2xui16>"));
        rejects(parse("%r = chlo.mulhi %a, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>"), "integer elements");
        assertThat(OpRegistry.global().lookup("chlo.mulhi").has(io.hlo4j.mlir.registry.OpTrait.COMMUTATIVE)).isTrue();
    }

    @Test
    void broadcastOpsFollowNumpyRulesOrExplicitDimensions() {
        verify(parse("%r = chlo.broadcast_add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>"));
        verify(parse("%r = chlo.broadcast_add %a, %b : (tensor<2x1xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>"));
        rejects(parse("%r = chlo.broadcast_add %a, %b : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>"),
                "are not broadcast-compatible: dimension sizes 2 and 3 differ and neither is 1");
        verify(parse("%r = chlo.broadcast_add %a, %b {broadcast_dimensions = array<i64: 0>} : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>"));
        rejects(parse("%r = chlo.broadcast_mul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>"),
                "inferred broadcast shape [2, 3] is incompatible with result type tensor<3x3xf32>");
        rejects(parse("%r = chlo.broadcast_and %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>"), "boolean or integer elements");
        verify(parse("%r = chlo.broadcast_complex %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xcomplex<f32>>"));
    }

    @Test
    void broadcastCompareNeedsADirectionAndGivesI1() {
        rejects(parse("%r = chlo.broadcast_compare %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>"),
                "requires attribute 'comparison_direction'");
        Operation ok = parse("%r = chlo.broadcast_compare %a, %b {comparison_direction = #chlo<comparison_direction LT>} "
                + ": (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>");
        verify(ok);
        assertThat(ok.properties().get("comparison_direction")).isEqualTo(ChloEnumAttr.comparisonDirection("LT"));
        rejects(parse("%r = chlo.broadcast_compare %a, %b {comparison_direction = #chlo<comparison_direction LT>} "
                + ": (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>"), "result element type must be i1");
    }

    @Test
    void constantLikeTakesTheOperandsShape() {
        Value x = arg("tensor<2x?xf32>");
        Operation op = Operation.builder("chlo.constant_like").operand(x).property("value", new FloatAttr(1.0, FloatType.F32))
                .resultType(MlirParser.parseType("tensor<2x?xf32>")).build();
        verify(op);
        assertThat(op.def().typeInference().inferResultTypes(op.operandTypes(), op.properties(), List.of()))
                .containsExactly(MlirParser.parseType("tensor<2x?xf32>"));
        Operation bad = op.toBuilder().property("value", IntegerAttr.i32(1)).build();
        rejects(bad, "value's type doesn't match element return type");
    }

    // ---- scan -----------------------------------------------------------------------------------

    /** scan.mlir's first case: cumulative sum over dimension 0 of a 4-vector, body add + return. */
    private static Operation scan(String input, String init, String argA, String argB, String out0, String out1, long dim) {
        Block.Builder outer = Block.builder();
        Value in = outer.addArgument(MlirParser.parseType(input));
        Value initValue = outer.addArgument(MlirParser.parseType(init));
        Block.Builder bb = Block.builder();
        BlockArgument a = bb.addArgument(MlirParser.parseType(argA));
        BlockArgument b = bb.addArgument(MlirParser.parseType(argB));
        Operation add = bb.append(Operation.builder("stablehlo.add").operands(a, b).resultType(a.type()).build());
        bb.append(Operation.builder("stablehlo.return").operands(add.result(), add.result()).build());
        return Operation.builder("chlo.scan").operands(in, initValue)
                .resultTypes(MlirParser.parseType(out0), MlirParser.parseType(out1)).region(Region.of(bb.build()))
                .property("dimension", IntegerAttr.i64(dim))
                .property("operandSegmentSizes", DenseArrayAttr.ofInts(IntegerType.I32, 1, 1))
                .property("resultSegmentSizes", DenseArrayAttr.ofInts(IntegerType.I32, 1, 1)).build();
    }

    @Test
    void scanAcceptsTheCumsumOfScanMlir() {
        Operation op = scan("tensor<4xi32>", "tensor<i32>", "tensor<i32>", "tensor<i32>", "tensor<4xi32>", "tensor<i32>", 0);
        verify(op);
        assertThat(ChloScanOp.numInputs(op)).isEqualTo(1);
        assertThat(ChloScanOp.numOutputs(op)).isEqualTo(1);
        assertThat(ChloScanOp.isReverse(op)).isFalse();
        // toBuilder() leaves the region behind; the flag accessor does not need it.
        assertThat(ChloScanOp.isReverse(op.toBuilder().property("is_reverse", BoolAttr.TRUE).build())).isTrue();
    }

    @Test
    void scanAlongDimensionOneRemovesItFromTheBodyTypes() {
        verify(scan("tensor<2x3xi32>", "tensor<2xi32>", "tensor<2xi32>", "tensor<2xi32>", "tensor<2x3xi32>", "tensor<2xi32>", 1));
    }

    @Test
    void scanRejectsBrokenInstances() {
        rejects(scan("tensor<4xi32>", "tensor<i32>", "tensor<i32>", "tensor<i32>", "tensor<4xi32>", "tensor<i32>", 1),
                "scan dimension of operand 0 is out of bounds");
        rejects(scan("tensor<4xi32>", "tensor<i32>", "tensor<4xi32>", "tensor<i32>", "tensor<4xi32>", "tensor<i32>", 0),
                "operand and body argument 0 are incompatible");
        rejects(scan("tensor<4xi32>", "tensor<i32>", "tensor<i32>", "tensor<i32>", "tensor<5xi32>", "tensor<i32>", 0),
                "inferred type tensor<4xi32> of result 0 is incompatible with tensor<5xi32>");
    }

    @Test
    void registryHasTheChloOpsOfTheConformanceFiles() {
        for (String n : List.of("acosh", "asin", "asinh", "atan", "atanh", "cosh", "sinh", "tan", "erf", "erfc", "erf_inv", "lgamma",
                "digamma", "bessel_i1e", "next_after", "polygamma", "zeta", "mulhi", "scan", "top_k", "ragged_dot", "constant_like",
                "constant", "is_inf", "is_neg_inf", "is_pos_inf", "broadcast_add", "broadcast_select", "broadcast_compare")) {
            assertThat(OpRegistry.global().lookup("chlo." + n)).as("chlo." + n).isNotNull();
        }
        Type t = MlirParser.parseType("tensor<2xf32>");
        assertThat(t).isNotNull();
    }
}
