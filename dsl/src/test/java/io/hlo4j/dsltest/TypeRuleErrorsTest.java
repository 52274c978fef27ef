package io.hlo4j.dsltest;

import io.hlo4j.dsl.Control;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Ops;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Supplier;

import static io.hlo4j.dsltest.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The DSL traces slice, pad, concat, transpose, dotGeneral, dynamicSlice, iota and the control-flow ops through the
 * ops' own type rules and verifiers, with no checks of its own: a bad call is refused by the op's rule, whose message
 * names the DSL op, the operand shapes, the op's constraint with the values involved, and the caller's line.
 */
class TypeRuleErrorsTest {
    static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }

    /** Traces {@code body} on {@code specs}; the failure must name {@code op} first and this file's line {@code at[0]} last. */
    static String refused(String op, int[] at, io.hlo4j.dsl.jit.TracedFunction body, Spec... specs) {
        try {
            Jit.jit(body).trace((Object[]) specs);
        } catch (DslException e) {
            assertThat(e.getMessage()).startsWith(op + ": ").endsWith("(at TypeRuleErrorsTest.java:" + at[0] + ":0)");
            assertThat(e.location()).isEqualTo(new Location.FileLineCol("TypeRuleErrorsTest.java", at[0], 0));
            return e.getMessage();
        }
        throw new AssertionError(op + ": tracing did not fail");
    }

    static Tensor x(Object[] a) { return (Tensor) a[0]; }

    @Test
    void sliceBoundsAreSlicesRule() {
        int[] at = new int[1];
        String m = refused("slice", at, a -> { at[0] = line(); return Ops.slice(x(a), new long[]{0, 1}, new long[]{5, 3}); },
                Spec.of(DType.F32, 4, 3));
        assertThat(m).contains("invalid operands (f32[4, 3])", "'stablehlo.slice' op (slice_c3) limit_indices[0] = 5 exceeds dimension size 4; "
                + "operand tensor<4x3xf32>, start_indices [0, 1], limit_indices [5, 3], strides [1, 1]");
        String n = refused("slice", at, a -> { at[0] = line(); return Ops.slice(x(a), new long[]{0}, new long[]{2}); }, Spec.of(DType.F32, 4, 3));
        assertThat(n).contains("(slice_c2) start_indices, limit_indices and strides must each have 2 entries");
    }

    @Test
    void padThatCropsPastNothingIsPadsRule() {
        int[] at = new int[1];
        String m = refused("pad", at, a -> { at[0] = line(); return Ops.pad(x(a), 0, new long[]{-2}, new long[]{-2}, new long[]{0}); },
                Spec.of(DType.F32, 3));
        assertThat(m).contains("'stablehlo.pad' op (pad_c4) padding dimension 0 gives a negative size -1; operand tensor<3xf32>, "
                + "edge_padding_low [-2], edge_padding_high [-2], interior_padding [0]");
        String n = refused("pad", at, a -> { at[0] = line(); return Ops.pad(x(a), 0, new long[]{1, 1}, new long[]{1}, new long[]{0}); },
                Spec.of(DType.F32, 3));
        assertThat(n).contains("(pad_c2) edge_padding_low, edge_padding_high and interior_padding must each have 1 entries");
    }

    @Test
    void concatMismatchIsConcatenatesRule() {
        int[] at = new int[1];
        String m = refused("concat", at, a -> { at[0] = line(); return Ops.concat(0, x(a), (Tensor) a[1]); },
                Spec.of(DType.F32, 3, 2), Spec.of(DType.F32, 1, 3));
        assertThat(m).contains("invalid operands (f32[3, 2], f32[1, 3])",
                "(concatenate_c3) inputs must agree on every dimension but 0; inputs [tensor<3x2xf32>, tensor<1x3xf32>], dimension 0");
        String d = refused("concat", at, a -> { at[0] = line(); return Ops.concat(-1, x(a), (Tensor) a[1]); },
                Spec.of(DType.F32, 3, 2), Spec.of(DType.I32, 3, 2));
        assertThat(d).contains("(concatenate_c1) all inputs must have the same element type; inputs [tensor<3x2xf32>, tensor<3x2xi32>], dimension 1");
        String none = refused("concat", at, a -> { at[0] = line(); return Ops.concat(0, List.of()); }, Spec.of(DType.F32, 1));
        assertThat(none).contains("'stablehlo.concatenate' op (arity) expects at least 1 operand(s), got 0");
    }

    @Test
    void badPermutationIsTransposesRule() {
        int[] at = new int[1];
        String m = refused("transpose", at, a -> { at[0] = line(); return Ops.transpose(x(a), 0, 0); }, Spec.of(DType.F32, 2, 3));
        assertThat(m).contains("(transpose_c2) permutation entry 0 appears twice; operand tensor<2x3xf32>, permutation [0, 0]");
        String n = refused("transpose", at, a -> { at[0] = line(); return Ops.transpose(x(a), 1); }, Spec.of(DType.F32, 2, 3));
        assertThat(n).contains("(transpose_c2) permutation must have 2 entries, got 1");
    }

    @Test
    void dotGeneralDimsAreDotGeneralsRule() {
        int[] at = new int[1];
        String m = refused("dotGeneral", at, a -> {
            at[0] = line(); return Linalg.dotGeneral(x(a), (Tensor) a[1], new int[]{2}, new int[]{1}, new int[]{0}, new int[]{0}, null); },
                Spec.of(DType.F32, 2, 3, 4), Spec.of(DType.F32, 3, 4, 5));
        assertThat(m).contains("(dot_general_c7) batching dimension lhs 0 (size 2) and rhs 0 (size 3) must have the same size; "
                + "lhs tensor<2x3x4xf32>, rhs tensor<3x4x5xf32>, batching_dims = [0] x [0], contracting_dims = [2] x [1]");
        String r = refused("dotGeneral", at, a -> {
            at[0] = line(); return Linalg.dotGeneral(x(a), (Tensor) a[1], new int[]{2}, new int[]{0}, new int[0], new int[0], null); },
                Spec.of(DType.F32, 2, 3), Spec.of(DType.F32, 3, 4));
        assertThat(r).contains("(dot_general_c3) lhs batching/contracting dimension 2 is out of range [0, 2)");
        String n = refused("dotGeneral", at, a -> {
            at[0] = line(); return Linalg.dotGeneral(x(a), (Tensor) a[1], new int[]{1}, new int[0], new int[0], new int[0], null); },
                Spec.of(DType.F32, 2, 3), Spec.of(DType.F32, 3, 4));
        assertThat(n).contains("(dot_general_c2) lhs and rhs contracting dimensions differ in count: [1] x []");
    }

    @Test
    void dynamicSliceCountsAreDynamicSlicesRule() {
        int[] at = new int[1];
        String m = refused("dynamicSlice", at, a -> { at[0] = line(); return Ops.dynamicSlice(x(a), List.of((Tensor) a[1]), 2, 2); },
                Spec.of(DType.F32, 4, 3), Spec.of(DType.I32));
        assertThat(m).contains("invalid operands (f32[4, 3], i32[])",
                "(dynamic_slice_c2) expects 2 start indices (the operand rank), got 1; operand tensor<4x3xf32>, slice_sizes [2, 2]");
        String s = refused("dynamicSlice", at, a -> { at[0] = line(); return Ops.dynamicSlice(x(a), List.of((Tensor) a[1], (Tensor) a[1]), 2, 4); },
                Spec.of(DType.F32, 4, 3), Spec.of(DType.I32));
        assertThat(s).contains("(dynamic_slice_c4) slice_sizes[1] = 4 must be in [0, 3]");
        String u = refused("dynamicUpdateSlice", at, a -> { at[0] = line(); return Ops.dynamicUpdateSlice(x(a), x(a), List.of((Tensor) a[1])); },
                Spec.of(DType.F32, 4, 3), Spec.of(DType.I32));
        assertThat(u).contains("(dynamic_update_slice_c4) expects 2 start indices (the operand rank), got 1");
    }

    @Test
    void takeWithFloatIndicesIsGathersRule() {
        int[] at = new int[1];
        String m = refused("take", at, a -> { at[0] = line(); return io.hlo4j.dsl.Indexing.takeInBounds(x(a), (Tensor) a[1], 0); },
                Spec.of(DType.F32, 4, 3), Spec.of(DType.F32, 2));
        assertThat(m).contains("invalid operands (f32[4, 3], f32[2])", "'stablehlo.gather' op (gather_i2) start_indices must have integer elements");
    }

    @Test
    void iotaDimensionIsIotasRule() {
        int[] at = new int[1];
        String m = refused("iota", at, a -> { at[0] = line(); return Ops.iota(DType.I32, Shape.of(2, 3), 2); }, Spec.of(DType.F32, 1));
        assertThat(m).contains("'stablehlo.iota' op (iota_c1) iota_dimension 2 is out of range [0, 2) of tensor<2x3xi32>");
    }

    @Test
    void controlFlowOperandsAreTheOpsRules() {
        int[] at = new int[1];
        Spec f = Spec.of(DType.F32, 2);
        String pred = refused("cond", at, a -> { at[0] = line(); return Control.cond(x(a).sum(), () -> List.of(x(a)), () -> List.of(x(a))); }, f);
        assertThat(pred).contains("'stablehlo.if' op expects one operand 'pred' of type tensor<i1>, but got [tensor<f32>] (if_i1)");
        String index = refused("switchCase", at, a -> {
            at[0] = line(); return Control.switchCase(Ops.scalar(0, DType.I64), List.of(() -> List.of(x(a)))); }, f);
        assertThat(index).contains("'stablehlo.case' op expects one operand 'index' of type tensor<i32>, but got [tensor<i64>] (case_i1)");
        String empty = refused("switchCase", at, a -> { at[0] = line(); return Control.switchCase(Ops.scalar(0, DType.I32), List.of()); }, f);
        assertThat(empty).contains("'stablehlo.case' op expect at least one branch (case_c1)");
        List<Supplier<List<Tensor>>> mismatched = List.of(() -> List.of(Ops.zeros(Shape.of(2), DType.F32)), () -> List.of(Ops.zeros(Shape.of(3), DType.F32)));
        String branches = refused("switchCase", at, a -> { at[0] = line(); return Control.switchCase(Ops.scalar(1, DType.I32), mismatched); }, f);
        assertThat(branches).contains("branch 0 and branch 1 have mismatched return types: [tensor<2xf32>] vs [tensor<3xf32>] (case_c3)");
        String cond = refused("whileLoop", at, a -> { at[0] = line(); return Control.whileLoop(List.of(x(a)), c -> c.get(0).sum(), c -> c); }, f);
        assertThat(cond).contains("'stablehlo.while' op expect condition block return a zero-ranked tensor of i1 but got tensor<f32> (while_c1)");
        String carry = refused("whileLoop", at, a -> {
            at[0] = line(); return Control.whileLoop(List.of(x(a)), c -> Ops.lt(c.get(0).sum(), 1.0), c -> List.of(c.get(0).sum())); }, f);
        assertThat(carry).contains("expect operands to be compatible with body block return types but got [tensor<2xf32>] vs [tensor<f32>] (while_c2)");
    }

    @Test
    void branchesReturningDifferentCountsAreRefusedByTheRuleBeforeTheOpExists() {
        int[] at = new int[1];
        Spec f = Spec.of(DType.F32, 2);
        // Branch 1 returns fewer values than branch 0: the rule used to index past its results (an
        // ArrayIndexOutOfBoundsException inside "cannot infer result types"); now it is case_c3 with both lists.
        List<Supplier<List<Tensor>>> fewer = List.of(() -> List.of(Ops.zeros(Shape.of(2), DType.F32), Ops.zeros(Shape.of(2), DType.F32)),
                () -> List.of(Ops.zeros(Shape.of(2), DType.F32)));
        String m = refused("switchCase", at, a -> { at[0] = line(); return Control.switchCase(Ops.scalar(1, DType.I32), fewer); }, f);
        assertThat(m).contains("'stablehlo.case' op branch 0 and branch 1 have mismatched return types: "
                + "[tensor<2xf32>, tensor<2xf32>] vs [tensor<2xf32>] (case_c3)").doesNotContain("Exception");
        String c = refused("cond", at, a -> {
            at[0] = line(); return Control.cond(Ops.gt(x(a).sum(), 0.0), () -> List.of(x(a)), () -> List.of(Ops.astype(x(a), DType.I32))); }, f);
        assertThat(c).contains("'stablehlo.if' op branch 0 and branch 1 have mismatched return types: [tensor<2xf32>] vs [tensor<2xi32>] (if_c2)");
    }

    @Test
    void elementKindsAreTheOpsRules() {
        int[] at = new int[1];
        Spec i = Spec.of(DType.I32, 2);
        String e = refused("exp", at, a -> { at[0] = line(); return Ops.exp(x(a)); }, i);
        assertThat(e).contains("invalid operands (i32[2]): 'stablehlo.exponential' op (exponential_i1) operand must have element type of "
                + "[float, complex, quant] kind, got tensor<2xi32>");
        String l = refused("log", at, a -> { at[0] = line(); return Ops.log(x(a)); }, i);
        assertThat(l).contains("'stablehlo.log' op (log_i1) operand must have element type of [float, complex, quant] kind, got tensor<2xi32>");
        String s = refused("scatterAdd", at, a -> { at[0] = line(); return io.hlo4j.dsl.Indexing.scatterAdd(x(a), (Tensor) a[1], x(a), 0); },
                Spec.of(DType.F32, 2), Spec.of(DType.F32, 2));
        assertThat(s).contains("invalid operands (f32[2], f32[2], f32[2]): 'stablehlo.scatter' op scatter_indices must have an integer element type, "
                + "but got tensor<2xf32> (scatter_i2)");
    }

    @Test
    void topKIsTopKsRule() {
        int[] at = new int[1];
        String m = refused("topK", at, a -> { at[0] = line(); return io.hlo4j.dsl.Indexing.topK(x(a), 4).get(0); }, Spec.of(DType.F32, 2, 3));
        assertThat(m).contains("invalid operands (f32[2, 3])",
                "'chlo.top_k' op operand's last dimension must be at least 4; operand tensor<2x3xf32>, k = 4");
        String n = refused("topK", at, a -> { at[0] = line(); return io.hlo4j.dsl.Indexing.topK(x(a), -1).get(0); }, Spec.of(DType.F32, 3));
        assertThat(n).contains("'chlo.top_k' op k must be non-negative, got -1; operand tensor<3xf32>, k = -1");
        String s = refused("topK", at, a -> { at[0] = line(); return io.hlo4j.dsl.Indexing.topK(x(a), 1).get(0); }, Spec.of(DType.F32));
        assertThat(s).contains("'chlo.top_k' op operand's rank must be at least 1; operand tensor<f32>, k = 1");
    }

    @Test
    void raggedDotShapesAreRaggedDotsRule() {
        int[] at = new int[1];
        String k = refused("raggedDot", at, a -> { at[0] = line(); return Linalg.raggedDot(x(a), (Tensor) a[1], (Tensor) a[2], null); },
                Spec.of(DType.F32, 3, 2), Spec.of(DType.F32, 2, 5, 1), Spec.of(DType.I32, 2));
        assertThat(k).contains("invalid operands (f32[3, 2], f32[2, 5, 1], i32[2])", "'chlo.ragged_dot' op contracting dimension sizes must "
                + "match for lhs/rhs: lhs dimension 1 has size 2, rhs dimension 1 has size 5; lhs tensor<3x2xf32>, rhs tensor<2x5x1xf32>, "
                + "group_sizes tensor<2xi32>");
        String g = refused("raggedDot", at, a -> { at[0] = line(); return Linalg.raggedDot(x(a), (Tensor) a[1], (Tensor) a[2], null); },
                Spec.of(DType.F32, 3, 2), Spec.of(DType.F32, 2, 2, 1), Spec.of(DType.I32, 3));
        assertThat(g).contains("'chlo.ragged_dot' op rhs group dimension is expected to have size=3, got 2");
        String f = refused("raggedDot", at, a -> { at[0] = line(); return Linalg.raggedDot(x(a), (Tensor) a[1], (Tensor) a[2], null); },
                Spec.of(DType.F32, 3, 2), Spec.of(DType.F32, 2, 2, 1), Spec.of(DType.F32, 2));
        assertThat(f).contains("'chlo.ragged_dot' op group_sizes must be a tensor of integers, got tensor<2xf32>");
        String r = refused("raggedDot", at, a -> { at[0] = line(); return Linalg.raggedDot(x(a), (Tensor) a[1], (Tensor) a[2], null); },
                Spec.of(DType.F32, 3), Spec.of(DType.F32, 2, 2, 1), Spec.of(DType.I32, 2));
        assertThat(r).contains("'chlo.ragged_dot' op lhs_contracting_dimensions entry 1 is out of range [0, 1)");
    }

    @Test
    void scanCarryIsWhilesRule() {
        int[] at = new int[1];
        String m = refused("scan", at, a -> {
            at[0] = line(); return Control.scan((c, xs) -> new Control.Step(List.of(c.get(0).sum()), List.of()), List.of(x(a)), List.of(x(a))).carry().get(0); },
                Spec.of(DType.F32, 2));
        assertThat(m).contains("'stablehlo.while' op expect operands to be compatible with body block return types but got "
                + "[tensor<i32>, tensor<2xf32>] vs [tensor<i32>, tensor<f32>] (while_c2)");
    }

    @Test
    void elementwiseBroadcastingIsChlosRule() {
        int[] at = new int[1];
        String w = refused("where", at, a -> { at[0] = line(); return Ops.where(x(a), x(a), x(a)); }, Spec.of(DType.F32, 2));
        assertThat(w).contains("invalid operands (f32[2], f32[2], f32[2])", "'chlo.broadcast_select' op pred must be a tensor of i1, got tensor<2xf32>");
        String b = refused("where", at, a -> { at[0] = line(); return Ops.where(Ops.gt(x(a), 0.0), x(a), (Tensor) a[1]); },
                Spec.of(DType.F32, 2), Spec.of(DType.F32, 3));
        assertThat(b).contains("'chlo.broadcast_select' op shapes [2] and [3] are not broadcast-compatible");
        String c = refused("lt", at, a -> { at[0] = line(); return Ops.lt(x(a), (Tensor) a[1]); }, Spec.of(DType.F32, 2), Spec.of(DType.I32, 2));
        assertThat(c).contains("'chlo.broadcast_compare' op requires lhs and rhs to have the same element type, got tensor<2xf32> and tensor<2xi32>"
                + " (cast one with astype)");
        String wd = refused("where", at, a -> { at[0] = line(); return Ops.where(Ops.gt(x(a), 0.0), x(a), (Tensor) a[1]); },
                Spec.of(DType.F32, 2), Spec.of(DType.F64, 2));
        assertThat(wd).contains("f32[2], f64[2]): 'chlo.broadcast_select' op", "(cast one with astype)");
        assertThat(w).as("a non-bool predicate is not fixed by a cast of the data").doesNotContain("astype");
        String l = refused("logicalAnd", at, a -> { at[0] = line(); return Ops.logicalAnd(x(a), x(a)); }, Spec.of(DType.F32, 2));
        assertThat(l).contains("'chlo.broadcast_and' op lhs must be a tensor of boolean or integer elements, got tensor<2xf32>");
        // Valid broadcasting keeps numpy's result shape: [2, 1] with [3] gives [2, 3].
        HostArray r = run1(a -> Ops.add(x(a), (Tensor) a[1]), f64(s(2, 1), 1, 2), f64(s(3), 10, 20, 30));
        assertThat(r.shape()).containsExactly(2, 3);
        assertClose(r, new double[]{11, 21, 31, 12, 22, 32}, 0);
    }

    /** Valid calls take their result shapes from the same rules, and compute the right values. */
    @Test
    void validCallsTraceThroughTheRules() {
        HostArray x = f64(s(2, 3), 1, 2, 3, 4, 5, 6);
        List<HostArray> r = run(a -> List.of(
                Ops.slice(x(a), new long[]{0, 0}, new long[]{2, 3}, new long[]{1, 2}),
                Ops.pad(x(a), 9, new long[]{0, -1}, new long[]{1, 0}, new long[]{0, 1}),
                Ops.concat(-1, x(a), x(a)),
                Ops.transpose(x(a), 1, 0),
                Linalg.dotGeneral(x(a), x(a), new int[]{1}, new int[]{1}, new int[0], new int[0], DType.F32)), x);
        assertThat(r.get(0).shape()).containsExactly(2, 2);
        assertClose(r.get(0), new double[]{1, 3, 4, 6}, 0);
        // Rows: [1 2 3], [4 5 6], pad row of 9s; columns: interior 1 then the first column cropped: 9 2 9 3.
        assertThat(r.get(1).shape()).containsExactly(3, 4);
        assertClose(r.get(1), new double[]{9, 2, 9, 3, 9, 5, 9, 6, 9, 9, 9, 9}, 0);
        assertThat(r.get(2).shape()).containsExactly(2, 6);
        assertThat(r.get(3).shape()).containsExactly(3, 2);
        assertClose(r.get(3), new double[]{1, 4, 2, 5, 3, 6}, 0);
        // x x^T = [[14, 32], [32, 77]], accumulated into the preferred f32.
        assertThat(r.get(4).type().elementType()).isEqualTo(io.hlo4j.mlir.types.FloatType.F32);
        assertClose(r.get(4), new double[]{14, 32, 32, 77}, 0);
        // raggedDot's [m, n] comes from chlo.ragged_dot's rule; rows 0 and 1-2 use group 0 and group 1 of rhs.
        HostArray lhs = f64(s(3, 2), 1, 2, 3, 4, 5, 6), rhs = f64(s(2, 2, 1), 1, 1, 10, 100), gs = i32(s(2), 1, 2);
        HostArray g = run1(a -> Linalg.raggedDot(x(a), (Tensor) a[1], (Tensor) a[2], DType.F32), lhs, rhs, gs);
        assertThat(g.type()).isEqualTo(io.hlo4j.mlir.types.TensorType.of(io.hlo4j.mlir.types.FloatType.F32, 3, 1));
        assertClose(g, new double[]{3, 430, 650}, 0);
    }
}
