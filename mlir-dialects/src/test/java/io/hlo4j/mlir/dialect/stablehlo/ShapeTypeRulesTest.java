package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.testing.ConformanceFiles;
import io.hlo4j.mlir.testing.OpSnippet;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.hlo4j.mlir.dialect.stablehlo.RegionTestIr.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The type rules of transpose, slice, pad, concatenate, dynamic_slice, dynamic_update_slice and dot_general, which builders (and the DSL)
 * trace through: the inferred type against the one the verifier accepts in the conformance files, against hand
 * computed shapes, and the refusals, which the rule and the verifier word the same way.
 */
class ShapeTypeRulesTest {
    static final Set<String> OPS = Set.of("stablehlo.transpose", "stablehlo.slice", "stablehlo.pad", "stablehlo.concatenate",
            "stablehlo.dynamic_slice", "stablehlo.dynamic_update_slice", "stablehlo.dot_general");

    @Test
    void inferredTypesAreTheOnesTheVerifierAcceptsInTheConformanceFiles() {
        List<Conformance.Statement> stmts = new ArrayList<>(Conformance.statements(ConformanceFiles.files("testdata"), OPS));
        stmts.addAll(Conformance.statements(ConformanceFiles.files("interpret"), OPS));
        Map<String, Integer> perOp = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (Conformance.Statement s : stmts) {
            if (s.text().contains("!quant.")) continue; // quantization parameters of results are not inferable
            Operation op = OpSnippet.parse(s.text()).op();
            verifies(op);
            TensorType written = (TensorType) op.result().type();
            List<Type> inferred = infer(op);
            // dot_general's element type is the writer's choice (a preferred type); its rule fixes the shape.
            TensorType got = (TensorType) inferred.get(0);
            if (op.name().equals("stablehlo.dot_general")) {
                assertThat(got.elementType()).as(s.toString()).isEqualTo(((TensorType) op.operand(0).type()).elementType());
                got = got.withElementType(written.elementType());
            }
            if (inferred.size() != 1 || !got.equals(written)) failures.add(s + "\n   inferred: " + inferred);
            perOp.merge(op.name(), 1, Integer::sum);
        }
        System.out.println("shape type rules on conformance statements: " + perOp);
        assertThat(perOp.keySet()).containsExactlyInAnyOrderElementsOf(OPS);
        perOp.forEach((op, n) -> assertThat(n).as(op + " statements").isGreaterThanOrEqualTo(5));
        assertThat(failures).isEmpty();
    }

    /**
     * The ops whose type rule checks all their verifier does (a builder that inferred their results skips the
     * verifier): exactly these, each also checked above against the conformance files and below refusal by refusal.
     * dot_general is not one: its verifier also checks precision_config and algorithm, which its rule does not read.
     * if, case and while share their checks with their verifiers the same way (ControlFlowTypeRulesTest, RegionOpsTest).
     */
    @Test
    void theOpsWhoseRuleVerifiesAreThese() {
        List<String> flagged = io.hlo4j.mlir.registry.OpRegistry.global().all().stream()
                .filter(io.hlo4j.mlir.registry.OpDef::inferenceVerifies).map(io.hlo4j.mlir.registry.OpDef::name).toList();
        assertThat(flagged).containsExactlyInAnyOrder("stablehlo.transpose", "stablehlo.slice", "stablehlo.pad", "stablehlo.concatenate",
                "stablehlo.dynamic_slice", "stablehlo.dynamic_update_slice", "stablehlo.if", "stablehlo.case", "stablehlo.while");
    }

    // ---- hand-computed shapes ----------------------------------------------------------------------------

    @Test
    void transposeTakesOperandDimPermutationI() {
        assertThat(infer(transpose(t(F32, 2, 3, 4), 2, 0, 1))).containsExactly(t(F32, 4, 2, 3));
        assertThat(infer(transpose(t(I32, 5, -1), 1, 0))).containsExactly(t(I32, -1, 5));
    }

    @Test
    void sliceIsCeilOfLimitMinusStartOverStride() {
        // [1:7:3] of 8 takes 1, 4 (2 elements); [0:5:2] of 5 takes 0, 2, 4; [2:2] is empty.
        assertThat(infer(slice(t(F32, 8, 5, 3), l(1, 0, 2), l(7, 5, 2), l(3, 2, 1)))).containsExactly(t(F32, 2, 3, 0));
    }

    @Test
    void padIsLowPlusHighPlusInteriorBetweenElements() {
        // 3 elements, interior 2: e _ _ e _ _ e = 7, plus 1 low and 2 high = 10. Negative edges crop: 4 - 1 - 2 = 1.
        assertThat(infer(pad(t(F32, 3, 4), l(1, -1), l(2, -2), l(2, 0)))).containsExactly(t(F32, 10, 1));
        // A zero-size dim gets no interior padding; a dynamic dim stays dynamic.
        assertThat(infer(pad(t(F32, 0, -1), l(1, 1), l(1, 1), l(3, 3)))).containsExactly(t(F32, 2, -1));
    }

    @Test
    void concatenateAddsSizesAlongTheDimension() {
        assertThat(infer(concatenate(1, t(I64, 2, 3), t(I64, 2, 1), t(I64, 2, 4)))).containsExactly(t(I64, 2, 8));
        assertThat(infer(concatenate(0, t(I64, 2, 3), t(I64, -1, 3)))).containsExactly(t(I64, -1, 3));
    }

    @Test
    void dynamicSliceIsTheSliceSizes() {
        assertThat(infer(dynamicSlice(t(F32, 6, 4), l(2, 4), s(I32), s(I32)))).containsExactly(t(F32, 2, 4));
    }

    @Test
    void dynamicUpdateSliceIsTheOperandsType() {
        assertThat(infer(dynamicUpdateSlice(t(F32, 6, 4), t(F32, 2, 4), s(I32), s(I32)))).containsExactly(t(F32, 6, 4));
    }

    @Test
    void dynamicUpdateSliceRefusals() {
        String v = "; operand tensor<6x4xf32>, update tensor<7x4xf32>";
        refused(dynamicUpdateSlice(t(F32, 6, 4), t(F32, 7, 4), s(I32), s(I32)), "dynamic_update_slice_c6",
                "update dimension 0 (size 7) exceeds operand size 6" + v);
        refused(dynamicUpdateSlice(t(F32, 6, 4), t(F32, 2, 4), s(I32)), "dynamic_update_slice_c4",
                "expects 2 start indices (the operand rank), got 1; operand tensor<6x4xf32>, update tensor<2x4xf32>");
        refused(dynamicUpdateSlice(t(F32, 6, 4), t(I32, 2, 4), s(I32), s(I32)), "dynamic_update_slice_c2", "update must have the operand's element type");
        refused(dynamicUpdateSlice(t(F32, 6, 4), t(F32, 2), s(I32), s(I32)), "dynamic_update_slice_c3", "update must have the operand's rank");
        refused(dynamicUpdateSlice(t(F32, 6, 4), t(F32, 2, 4), s(I32), s(I64)), "dynamic_update_slice_c5", "all start indices must have the same type");
    }

    @Test
    void dotGeneralIsBatchThenLhsFreeThenRhsFree() {
        // lhs [b=2, m=3, k=4], rhs [b=2, k=4, n=5] -> [2, 3, 5].
        assertThat(infer(dot(t(F32, 2, 3, 4), t(F32, 2, 4, 5), l(0), l(0), l(2), l(1)))).containsExactly(t(F32, 2, 3, 5));
        // Free dims keep their operand order: lhs [5, k=2, 7], rhs [6, k=2, 3] -> [5, 7, 6, 3]; batch dims come first
        // in the lhs's batching order even when they sit last.
        assertThat(infer(dot(t(F32, 5, 2, 7), t(F32, 6, 2, 3), l(), l(), l(1), l(1)))).containsExactly(t(F32, 5, 7, 6, 3));
        assertThat(infer(dot(t(I32, 4, 9, 8), t(I32, 8, 9, 4), l(2, 0), l(0, 2), l(1), l(1)))).containsExactly(t(I32, 8, 4));
    }

    // ---- refusals: the rule and the verifier say the same ----------------------------------------------

    @Test
    void transposeRefusals() {
        refused(transpose(t(F32, 2, 3), 0, 0), "transpose_c2",
                "permutation entry 0 appears twice; operand tensor<2x3xf32>, permutation [0, 0]");
        refused(transpose(t(F32, 2, 3), 0), "transpose_c2", "permutation must have 2 entries, got 1");
        refused(transpose(t(F32, 2, 3), 0, 2), "transpose_c2", "permutation entry 2 is out of range [0, 2)");
    }

    @Test
    void sliceRefusals() {
        String v = "; operand tensor<4x3xf32>, start_indices [0, 1], limit_indices [5, 3], strides [1, 1]";
        refused(slice(t(F32, 4, 3), l(0, 1), l(5, 3), l(1, 1)), "slice_c3", "limit_indices[0] = 5 exceeds dimension size 4" + v);
        refused(slice(t(F32, 4, 3), l(2, 0), l(1, 3), l(1, 1)), "slice_c3", "limit_indices[0] = 1 must be >= start 2");
        refused(slice(t(F32, 4, 3), l(-1, 0), l(1, 3), l(1, 1)), "slice_c3", "start_indices[0] = -1 must be >= 0");
        refused(slice(t(F32, 4, 3), l(0, 0), l(4, 3), l(1, 0)), "slice_c4", "strides[1] = 0 must be > 0");
        refused(slice(t(F32, 4, 3), l(0), l(4), l(1)), "slice_c2", "start_indices, limit_indices and strides must each have 2 entries");
    }

    @Test
    void padRefusals() {
        refused(pad(t(F32, 3), l(-2), l(-2), l(0)), "pad_c4", "padding dimension 0 gives a negative size -1; operand tensor<3xf32>, "
                + "edge_padding_low [-2], edge_padding_high [-2], interior_padding [0]");
        refused(pad(t(F32, 3), l(0), l(0), l(-1)), "pad_c3", "interior_padding[0] = -1 must be >= 0");
        refused(pad(t(F32, 3), l(0, 0), l(0), l(0)), "pad_c2", "edge_padding_low, edge_padding_high and interior_padding must each have 1 entries"
                + "; operand tensor<3xf32>, edge_padding_low [0, 0], edge_padding_high [0], interior_padding [0]");
        Operation badValue = Operation.builder("stablehlo.pad").operands(value(t(F32, 3)), value(t(I32)))
                .property("edge_padding_low", DenseArrayAttr.ofI64(l(0))).property("edge_padding_high", DenseArrayAttr.ofI64(l(0)))
                .property("interior_padding", DenseArrayAttr.ofI64(l(0))).resultType(t(F32, 3)).build();
        refused(badValue, "pad_c1", "operand and padding_value must have the same element type, got tensor<3xf32> and tensor<i32>");
    }

    @Test
    void concatenateRefusals() {
        refused(concatenate(0, t(I64, 3, 2), t(I64, 1, 3)), "concatenate_c3",
                "inputs must agree on every dimension but 0; inputs [tensor<3x2xi64>, tensor<1x3xi64>], dimension 0");
        refused(concatenate(2, t(I64, 3, 2), t(I64, 1, 2)), "concatenate_c4", "dimension 2 is out of range [0, 2)");
        refused(concatenate(0, t(I64, 3, 2), t(F32, 1, 2)), "concatenate_c1", "all inputs must have the same element type");
        refused(concatenate(0, t(I64, 3, 2), t(I64, 1)), "concatenate_c2", "all inputs must have the same rank");
        assertThatThrownBy(() -> def("stablehlo.concatenate").typeInference().inferResultTypes(List.of(),
                io.hlo4j.mlir.attr.DictionaryAttr.of(Map.of("dimension", IntegerAttr.i64(0))), List.of()))
                .hasMessage("'stablehlo.concatenate' op (arity) expects at least 1 operand(s), got 0");
    }

    @Test
    void dynamicSliceRefusals() {
        refused(dynamicSlice(t(F32, 6, 4), l(2, 4), s(I32)), "dynamic_slice_c2",
                "expects 2 start indices (the operand rank), got 1; operand tensor<6x4xf32>, slice_sizes [2, 4]");
        refused(dynamicSlice(t(F32, 6, 4), l(2, 5), s(I32), s(I32)), "dynamic_slice_c4", "slice_sizes[1] = 5 must be in [0, 4]");
        refused(dynamicSlice(t(F32, 6, 4), l(2, 4), s(I32), s(F32)), "dynamic_slice_c3", "start index #1 must be a 0-d integer tensor");
    }

    @Test
    void dotGeneralRefusals() {
        String v = "; lhs tensor<2x3x4xf32>, rhs tensor<2x3x5xf32>, batching_dims = [0] x [0], contracting_dims = [2] x [1]";
        refused(dot(t(F32, 2, 3, 4), t(F32, 2, 3, 5), l(0), l(0), l(2), l(1)), "dot_general_c8",
                "contracting dimension lhs 2 (size 4) and rhs 1 (size 3) must have the same size" + v);
        refused(dot(t(F32, 2, 3), t(F32, 4, 3), l(0), l(0), l(1), l(1)), "dot_general_c7",
                "batching dimension lhs 0 (size 2) and rhs 0 (size 4) must have the same size");
        refused(dot(t(F32, 2, 3), t(F32, 3, 4), l(), l(), l(1), l()), "dot_general_c2", "lhs and rhs contracting dimensions differ in count");
        refused(dot(t(F32, 2, 3), t(F32, 3, 4), l(), l(), l(2), l(0)), "dot_general_c3", "lhs batching/contracting dimension 2 is out of range [0, 2)");
        refused(dot(t(F32, 2, 3), t(F32, 3, 4), l(1), l(0), l(1), l(0)), "dot_general_c3", "lhs batching/contracting dimension 1 appears twice");
    }

    /** Refused by the verifier (whatever result the op states) and by the type rule, with the same rule and text. */
    static void refused(Operation op, String rule, String text) {
        rejects(op, rule, text);
        assertThatThrownBy(() -> infer(op)).isInstanceOf(VerificationException.class)
                .hasMessageContaining("'" + op.name() + "' op (" + rule + ") " + text);
    }

    // ---- builders ---------------------------------------------------------------------------------------

    static long[] l(long... v) { return v; }

    /** The operand's type as a placeholder result: every refusal here comes before the result is looked at. */
    static Operation transpose(TensorType in, long... perm) {
        return Operation.builder("stablehlo.transpose").operands(value(in)).property("permutation", DenseArrayAttr.ofI64(perm))
                .resultType(in).build();
    }

    static Operation slice(TensorType in, long[] start, long[] limit, long[] strides) {
        return Operation.builder("stablehlo.slice").operands(value(in)).property("start_indices", DenseArrayAttr.ofI64(start))
                .property("limit_indices", DenseArrayAttr.ofI64(limit)).property("strides", DenseArrayAttr.ofI64(strides)).resultType(in).build();
    }

    static Operation pad(TensorType in, long[] lo, long[] hi, long[] interior) {
        return Operation.builder("stablehlo.pad").operands(value(in), value(s(in.elementType())))
                .property("edge_padding_low", DenseArrayAttr.ofI64(lo)).property("edge_padding_high", DenseArrayAttr.ofI64(hi))
                .property("interior_padding", DenseArrayAttr.ofI64(interior)).resultType(in).build();
    }

    static Operation dynamicUpdateSlice(TensorType in, TensorType update, TensorType... starts) {
        List<Type> ts = new ArrayList<>(List.of(in, update));
        ts.addAll(List.of(starts));
        return Operation.builder("stablehlo.dynamic_update_slice").operands(values(ts.toArray(Type[]::new))).resultType(in).build();
    }

    static Operation concatenate(long dim, TensorType... ins) {
        return Operation.builder("stablehlo.concatenate").operands(values(ins)).property("dimension", IntegerAttr.i64(dim))
                .resultType(ins[0]).build();
    }

    static Operation dynamicSlice(TensorType in, long[] sizes, TensorType... starts) {
        List<Type> ts = new ArrayList<>(List.of(in));
        ts.addAll(List.of(starts));
        return Operation.builder("stablehlo.dynamic_slice").operands(values(ts.toArray(Type[]::new)))
                .property("slice_sizes", DenseArrayAttr.ofI64(sizes)).resultType(in).build();
    }

    static Operation dot(TensorType lhs, TensorType rhs, long[] lb, long[] rb, long[] lc, long[] rc) {
        return Operation.builder("stablehlo.dot_general").operands(values(lhs, rhs))
                .property("dot_dimension_numbers", new DotDimensionNumbers(Dims.of(lb), Dims.of(rb), Dims.of(lc), Dims.of(rc)))
                .resultType(lhs).build();
    }
}
