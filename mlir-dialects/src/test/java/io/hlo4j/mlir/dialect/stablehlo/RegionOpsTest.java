package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.OpaqueAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.mlir.types.TokenType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.hlo4j.mlir.dialect.stablehlo.RegionTestIr.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Verifiers, type inference and declarations of the region ops, against the spec's rules and hand-computed shapes. */
class RegionOpsTest {

    // ---- reduce ------------------------------------------------------------------------------

    private static Operation reduce(List<Value> inputsAndInits, long[] dims, Region body, Type... results) {
        return Operation.builder("stablehlo.reduce").operands(inputsAndInits).property("dimensions", DenseArrayAttr.ofI64(dims))
                .region(body).resultTypes(results).build();
    }

    @Test
    void reduceSumAcrossOneDimension() {
        List<Value> in = List.of(value(t(F32, 4, 8)), value(s(F32)));
        Operation op = reduce(in, new long[] {1}, binary("stablehlo.add", s(F32)), t(F32, 4));
        verifies(op);
        assertThat(infer(op)).containsExactly(t(F32, 4));
        assertThat(RegionSyntax.isCompactReduce(op)).isTrue();
    }

    @Test
    void reduceRejectsOutOfRangeAndDuplicateDimensions() {
        rejects(reduce(List.of(value(t(F32, 4, 8)), value(s(F32))), new long[] {2}, binary("stablehlo.add", s(F32)), t(F32, 4)),
                "reduce_c4", "Out-of-bounds dimension 2, expected to be in range [0, 2)");
        rejects(reduce(List.of(value(t(F32, 4, 8)), value(s(F32))), new long[] {1, 1}, binary("stablehlo.add", s(F32)), t(F32, 4)),
                "reduce_c5", "Duplicate reduction dimension: 1");
    }

    @Test
    void reduceRejectsWrongResultShapeAndReducerArity() {
        rejects(reduce(List.of(value(t(F32, 4, 8)), value(s(F32))), new long[] {1}, binary("stablehlo.add", s(F32)), t(F32, 8)),
                "reduce_c7", "gives [4]");
        Region threeArgs = region(List.of(s(F32), s(F32), s(F32)), (bb, a) -> List.of(a.get(0)));
        rejects(reduce(List.of(value(t(F32, 4, 8)), value(s(F32))), new long[] {1}, threeArgs, t(F32, 4)),
                "reduce_c6", "Reduction-region must take 2 parameters, but takes 3 parameter(s)");
    }

    /** JAX's argmax: (value, index) pairs, block arguments ordered [lhs_v, lhs_i, rhs_v, rhs_i]. */
    @Test
    void variadicArgmaxReduce() {
        Region body = region(List.of(s(F32), s(I32), s(F32), s(I32)), (bb, a) -> List.of(a.get(2), a.get(3)));
        Operation op = reduce(List.of(value(t(F32, 18, 12)), value(t(I32, 18, 12)), value(s(F32)), value(s(I32))),
                new long[] {1}, body, t(F32, 18), t(I32, 18));
        verifies(op);
        assertThat(infer(op)).containsExactly(t(F32, 18), t(I32, 18));
        assertThat(RegionSyntax.isCompactReduce(op)).isFalse();
        // Swapping the index accumulator types breaks the lhs/rhs pairing.
        Region swapped = region(List.of(s(F32), s(F32), s(I32), s(I32)), (bb, a) -> List.of(a.get(0), a.get(2)));
        rejects(reduce(List.of(value(t(F32, 18, 12)), value(t(I32, 18, 12)), value(s(F32)), value(s(I32))),
                new long[] {1}, swapped, t(F32, 18), t(I32, 18)), "reduce_c6", "parameter at index 2 is different than the corresponding result type: tensor<i32> vs tensor<f32>");
    }

    /** The compact reduce form names exactly the StableHLO ops declared commutative (upstream's IsCommutative). */
    @Test
    void compactReduceOpsAreTheCommutativeOnes() {
        List<String> commutative = io.hlo4j.mlir.registry.OpRegistry.global().all().stream()
                .filter(d -> d.name().startsWith("stablehlo.") && d.has(OpTrait.COMMUTATIVE)).map(d -> d.name()).toList();
        assertThat(commutative).containsExactlyInAnyOrderElementsOf(RegionSyntax.COMMUTATIVE_BINARY);
    }

    @Test
    void compactReduceNeedsArgumentsInOrder() {
        Region reversed = region(List.of(s(F32), s(F32)), (bb, a) -> List.of(
                bb.append(Operation.builder("stablehlo.add").operands(a.get(1), a.get(0)).resultType(s(F32)).build()).result(0)));
        Operation op = reduce(List.of(value(t(F32, 4)), value(s(F32))), new long[] {0}, reversed, s(F32));
        verifies(op);
        assertThat(RegionSyntax.isCompactReduce(op)).isFalse();
        Operation sub = reduce(List.of(value(t(F32, 4)), value(s(F32))), new long[] {0}, binary("stablehlo.subtract", s(F32)), s(F32));
        assertThat(RegionSyntax.isCompactReduce(sub)).as("subtract is not commutative").isFalse();
    }

    // ---- while / if / case -------------------------------------------------------------------

    private static Operation whileOp(List<Value> inits, Region cond, Region body, Type... results) {
        return Operation.builder("stablehlo.while").operands(inits).region(cond).region(body).resultTypes(results).build();
    }

    @Test
    void whileLoopCountsUp() {
        Value lim = value(s(I64));
        Region cond = region(List.of(s(I64), t(F32, 8)), (bb, a) -> List.of(bb.append(Operation.builder("stablehlo.compare")
                .operands(a.get(0), lim).resultType(s(I1)).build()).result(0)));
        Region body = region(List.of(s(I64), t(F32, 8)), (bb, a) -> List.of(a.get(0), a.get(1)));
        Operation op = whileOp(List.of(value(s(I64)), value(t(F32, 8))), cond, body, s(I64), t(F32, 8));
        verifies(op);
        assertThat(infer(op)).containsExactly(s(I64), t(F32, 8));
        assertThat(def("stablehlo.while").blockArgumentNamer().names(op, 1)).containsExactly("iterArg", "iterArg");
    }

    @Test
    void whileRejectsNonBooleanConditionAndMismatchedBody() {
        Region condF32 = region(List.of(s(I64)), (bb, a) -> List.of(value(s(F32))));
        rejects(whileOp(List.of(value(s(I64))), condF32, region(List.of(s(I64)), (bb, a) -> List.of(a.get(0))), s(I64)),
                "while_c1", "expect condition block return a zero-ranked tensor of i1 but got tensor<f32>");
        Region cond = region(List.of(s(I64)), (bb, a) -> List.of(value(s(I1))));
        Region bodyWrong = region(List.of(s(I64)), (bb, a) -> List.of(value(s(I32))));
        rejects(whileOp(List.of(value(s(I64))), cond, bodyWrong, s(I64)), "while_c2",
                "expect operands to be compatible with body block return types");
        // The type rule refuses them alike, before the op exists (a builder gets no result types for a bad loop).
        Region condF32Again = region(List.of(s(I64)), (bb, a) -> List.of(value(s(F32))));
        assertThatThrownBy(() -> infer(whileOp(List.of(value(s(I64))), condF32Again, region(List.of(s(I64)), (bb, a) -> List.of(a.get(0))), s(I64))))
                .hasMessage("'stablehlo.while' op expect condition block return a zero-ranked tensor of i1 but got tensor<f32> (while_c1)");
        Region condAgain = region(List.of(s(I64)), (bb, a) -> List.of(value(s(I1))));
        Region bodyWrongAgain = region(List.of(s(I64)), (bb, a) -> List.of(value(s(I32))));
        assertThatThrownBy(() -> infer(whileOp(List.of(value(s(I64))), condAgain, bodyWrongAgain, s(I64))))
                .hasMessage("'stablehlo.while' op expect operands to be compatible with body block return types but got [tensor<i64>] vs "
                        + "[tensor<i32>] (while_c2)");
        Region condTwoArgs = region(List.of(s(I64), s(I64)), (bb, a) -> List.of(value(s(I1))));
        assertThatThrownBy(() -> infer(whileOp(List.of(value(s(I64))), condTwoArgs, region(List.of(s(I64)), (bb, a) -> List.of(a.get(0))), s(I64))))
                .hasMessage("'stablehlo.while' op expect operands to be compatible with condition block arguments but got [tensor<i64>] vs "
                        + "[tensor<i64>, tensor<i64>] (while_c1)");
        Region onlyCond = region(List.of(s(I64)), (bb, a) -> List.of(value(s(I1))));
        assertThatThrownBy(() -> infer(Operation.builder("stablehlo.while").operand(value(s(I64))).region(onlyCond).resultType(s(I64)).build()))
                .hasMessage("'stablehlo.while' op expects 2 region(s), but has 1 (while_i2)");
    }

    @Test
    void ifAndCaseBranches() {
        Value a = value(t(F32, 2));
        Value b = value(t(F32, 2));
        verifies(Operation.builder("stablehlo.if").operand(value(s(I1))).region(returning(a)).region(returning(b))
                .resultType(t(F32, 2)).build());
        rejects(Operation.builder("stablehlo.if").operand(value(s(I32))).region(returning(a)).region(returning(b))
                .resultType(t(F32, 2)).build(), "if_i1", "'pred' of type tensor<i1>");
        rejects(Operation.builder("stablehlo.if").operand(value(s(I1))).region(returning(a)).region(returning(value(t(I32, 2))))
                .resultType(t(F32, 2)).build(), "if_c2", "branch 0 and branch 1 have mismatched return types");
        Region withArg = region(List.of(s(F32)), (bb, args) -> List.of(a));
        rejects(Operation.builder("stablehlo.case").operand(value(s(I32))).region(withArg).resultType(t(F32, 2)).build(),
                "case_c2", "branch 0 must have 0 arguments, but found 1");
        rejects(Operation.builder("stablehlo.case").operand(value(s(I64))).region(returning(a)).resultType(t(F32, 2)).build(),
                "case_i1", "'index' of type tensor<i32>");
        rejects(Operation.builder("stablehlo.case").operand(value(s(I32))).resultType(t(F32, 2)).build(),
                "case_c1", "expect at least one branch");
        Operation c = Operation.builder("stablehlo.case").operand(value(s(I32))).region(returning(a)).region(returning(value(t(F32, -1))))
                .resultType(t(F32, 2)).build();
        assertThat(infer(c)).as("least specific type of 2 and ? is ?").containsExactly(t(F32, -1));
        // Branches the verifier refuses, the type rule refuses alike (no result type is inferred for them).
        Operation sizes = Operation.builder("stablehlo.case").operand(value(s(I32))).region(returning(a)).region(returning(value(t(F32, 3))))
                .resultType(t(F32, 2)).build();
        assertThatThrownBy(() -> infer(sizes)).hasMessage("'stablehlo.case' op branch 0 and branch 1 have mismatched return types: "
                + "[tensor<2xf32>] vs [tensor<3xf32>] (case_c3)");
        rejects(sizes, "case_c3", "branch 0 and branch 1 have mismatched return types: [tensor<2xf32>] vs [tensor<3xf32>]");
        Operation fewer = Operation.builder("stablehlo.if").operand(value(s(I1))).region(returning(a, b)).region(returning(b))
                .resultTypes(List.of(t(F32, 2), t(F32, 2))).build();
        assertThatThrownBy(() -> infer(fewer)).hasMessage("'stablehlo.if' op branch 0 and branch 1 have mismatched return types: "
                + "[tensor<2xf32>, tensor<2xf32>] vs [tensor<2xf32>] (if_c2)");
        rejects(fewer, "if_c2", "branch 0 and branch 1 have mismatched return types");
        assertThatThrownBy(() -> infer(Operation.builder("stablehlo.case").operand(value(s(I32))).region(region(List.of(s(F32)), (bb, args) -> List.of(a))).resultType(t(F32, 2)).build()))
                .hasMessage("'stablehlo.case' op branch 0 must have 0 arguments, but found 1 (case_c2)");
        assertThatThrownBy(() -> infer(Operation.builder("stablehlo.if").operand(value(s(I1))).region(returning(a)).resultType(t(F32, 2)).build()))
                .hasMessage("'stablehlo.if' op expects 2 region(s), but has 1 (if_i2)");
        // The type rule refuses a bad selector or no branch as the verifier does, before the op exists.
        Operation badPred = Operation.builder("stablehlo.if").operand(value(s(I32))).region(returning(a)).region(returning(b))
                .resultType(t(F32, 2)).build();
        assertThatThrownBy(() -> infer(badPred)).isInstanceOf(io.hlo4j.mlir.ir.VerificationException.class)
                .hasMessage("'stablehlo.if' op expects one operand 'pred' of type tensor<i1>, but got [tensor<i32>] (if_i1)");
        Operation noBranch = Operation.builder("stablehlo.case").operand(value(s(I32))).resultType(t(F32, 2)).build();
        assertThatThrownBy(() -> infer(noBranch)).hasMessage("'stablehlo.case' op expect at least one branch (case_c1)");
        Operation badIndex = Operation.builder("stablehlo.case").operand(value(s(I64))).region(returning(a)).resultType(t(F32, 2)).build();
        assertThatThrownBy(() -> infer(badIndex)).hasMessage("'stablehlo.case' op expects one operand 'index' of type tensor<i32>, but got [tensor<i64>] (case_i1)");
    }

    // ---- sort / map --------------------------------------------------------------------------

    @Test
    void sortComparatorTakesInterleavedPairs() {
        Region cmp = region(List.of(s(I32), s(I32), s(F32), s(F32)), (bb, a) -> List.of(value(s(I1))));
        Operation ok = Operation.builder("stablehlo.sort").operands(value(t(I32, 32)), value(t(F32, 32)))
                .property("dimension", IntegerAttr.i64(0)).property("is_stable", BoolAttr.TRUE).region(cmp)
                .resultTypes(t(I32, 32), t(F32, 32)).build();
        verifies(ok);
        assertThat(infer(ok)).containsExactly(t(I32, 32), t(F32, 32));
        Region grouped = region(List.of(s(I32), s(F32), s(I32), s(F32)), (bb, a) -> List.of(value(s(I1))));
        rejects(Operation.builder("stablehlo.sort").operands(value(t(I32, 32)), value(t(F32, 32))).region(grouped)
                .resultTypes(t(I32, 32), t(F32, 32)).build(), "sort_c5", "comparator block argument #1 should be of type tensor<i32>");
        rejects(Operation.builder("stablehlo.sort").operand(value(t(F32, 5))).property("dimension", IntegerAttr.i64(1))
                        .region(region(List.of(s(F32), s(F32)), (bb, a) -> List.of(value(s(I1))))).resultType(t(F32, 5)).build(),
                "sort_c4", "dimension attribute value must be in range [-1, 1), but found 1");
    }

    @Test
    void mapAppliesScalarComputation() {
        Operation ok = Operation.builder("stablehlo.map").operands(value(t(I64, 2, 2)), value(t(I64, 2, 2)))
                .property("dimensions", DenseArrayAttr.ofI64(0, 1)).region(binary("stablehlo.multiply", s(I64)))
                .resultType(t(I64, 2, 2)).build();
        verifies(ok);
        assertThat(infer(ok)).containsExactly(t(I64, 2, 2));
        rejects(Operation.builder("stablehlo.map").operands(value(t(I64, 2, 2)), value(t(I64, 2, 2)))
                .property("dimensions", DenseArrayAttr.ofI64(1, 0)).region(binary("stablehlo.multiply", s(I64)))
                .resultType(t(I64, 2, 2)).build(), "map_c3", "requires monotonically increasing dimension numbers");
    }

    // ---- windows and scatter -----------------------------------------------------------------

    /** JAX's cumsum: window 8x1 with 7 low padding keeps the 8x4 shape. */
    @Test
    void reduceWindowCumsumShape() {
        Operation op = Operation.builder("stablehlo.reduce_window").operands(value(t(F32, 8, 4)), value(s(F32)))
                .property("window_dimensions", DenseArrayAttr.ofI64(8, 1))
                .property("padding", i64Dense(new long[] {2, 2}, 7, 0, 0, 0))
                .region(binary("stablehlo.add", s(F32))).resultType(t(F32, 8, 4)).build();
        verifies(op);
        assertThat(infer(op)).containsExactly(t(F32, 8, 4));
        // Spec example: 3x2 input, window 2x1, strides 4x1, base dilations 2x1, window dilations 3x1, padding [[2,1],[0,0]].
        Operation spec = Operation.builder("stablehlo.reduce_window").operands(value(t(I64, 3, 2)), value(s(I64)))
                .property("window_dimensions", DenseArrayAttr.ofI64(2, 1)).property("window_strides", DenseArrayAttr.ofI64(4, 1))
                .property("base_dilations", DenseArrayAttr.ofI64(2, 1)).property("window_dilations", DenseArrayAttr.ofI64(3, 1))
                .property("padding", i64Dense(new long[] {2, 2}, 2, 1, 0, 0))
                .region(binary("stablehlo.add", s(I64))).resultType(t(I64, 2, 2)).build();
        verifies(spec);
        assertThat(infer(spec)).containsExactly(t(I64, 2, 2));
        rejects(Operation.builder("stablehlo.reduce_window").operands(value(t(F32, 8, 4)), value(s(F32)))
                .property("window_dimensions", DenseArrayAttr.ofI64(8)).region(binary("stablehlo.add", s(F32)))
                .resultType(t(F32, 1, 4)).build(), "reduce_window_c4", "expects window-dimensions size == input rank");
        rejects(Operation.builder("stablehlo.reduce_window").operands(value(t(F32, 8, 4)), value(s(F32)))
                .property("window_dimensions", DenseArrayAttr.ofI64(2, 1)).property("window_strides", DenseArrayAttr.ofI64(0, 1))
                .region(binary("stablehlo.add", s(F32))).resultType(t(F32, 7, 4)).build(),
                "reduce_window_c7", "expects window to have positive stride for 0-th window dimension, but got 0.");
    }

    @Test
    void selectAndScatterSpecExample() {
        Region select = region(List.of(s(I64), s(I64)), (bb, a) -> List.of(value(s(I1))));
        Operation op = Operation.builder("stablehlo.select_and_scatter").operands(value(t(I64, 4, 2)), value(t(I64, 2, 2)), value(s(I64)))
                .property("window_dimensions", DenseArrayAttr.ofI64(3, 1)).property("window_strides", DenseArrayAttr.ofI64(2, 1))
                .property("padding", i64Dense(new long[] {2, 2}, 0, 1, 0, 0))
                .region(select).region(binary("stablehlo.add", s(I64))).resultType(t(I64, 4, 2)).build();
        verifies(op);
        assertThat(infer(op)).containsExactly(t(I64, 4, 2));
        Region select2 = region(List.of(s(I64), s(I64)), (bb, a) -> List.of(value(s(I1))));
        rejects(Operation.builder("stablehlo.select_and_scatter").operands(value(t(I64, 4, 2)), value(t(I64, 3, 2)), value(s(I64)))
                .property("window_dimensions", DenseArrayAttr.ofI64(3, 1)).property("window_strides", DenseArrayAttr.ofI64(2, 1))
                .property("padding", i64Dense(new long[] {2, 2}, 0, 1, 0, 0))
                .region(select2).region(binary("stablehlo.add", s(I64))).resultType(t(I64, 4, 2)).build(),
                "select_and_scatter_c1", "expects source-type to be tensor<2x2xi64>");
    }

    private static Operation scatter(Type updates, String dims) {
        return Operation.builder("stablehlo.scatter").operands(value(t(F32, 1, 125)), value(t(I64, 1)), value(updates))
                .property("scatter_dimension_numbers", new OpaqueAttr("#stablehlo.scatter<" + dims + ">"))
                .property("unique_indices", BoolAttr.TRUE).region(binary("stablehlo.add", s(F32))).resultType(t(F32, 1, 125)).build();
    }

    /** The testdata scatter_* shape: operand 1x125, one index, one update element. */
    @Test
    void scatterChecksDimensionNumbers() {
        String dims = "update_window_dims = [0], inserted_window_dims = [1], scatter_dims_to_operand_dims = [1]";
        Operation ok = scatter(t(F32, 1), dims);
        verifies(ok);
        assertThat(infer(ok)).containsExactly(t(F32, 1, 125));
        Operation typed = Operation.builder("stablehlo.scatter").operands(value(t(F32, 1, 125)), value(t(I64, 1)), value(t(F32, 1)))
                .property("scatter_dimension_numbers", new ScatterDimensionNumbers(Dims.of(0), Dims.of(1), Dims.EMPTY, Dims.EMPTY,
                        Dims.of(1), 0))
                .region(binary("stablehlo.add", s(F32))).resultType(t(F32, 1, 125)).build();
        verifies(typed);
        rejects(scatter(t(F32, 2), dims), "scatter_c4", "For dimension 0, updates bound is 2, operand bound is 1.");
        rejects(scatter(t(F32, 1), "update_window_dims = [0], inserted_window_dims = [1, 1], scatter_dims_to_operand_dims = [1]"),
                "scatter_c2", "i.e. 3 but got 2.");
        rejects(scatter(t(F32, 1), "update_window_dims = [0], inserted_window_dims = [1], scatter_dims_to_operand_dims = [1, 0]"),
                "scatter_c19", "Scatter op has 2 elements in scatter_dims_to_operand_dims");
    }

    // ---- return / barrier / custom_call / composite ------------------------------------------

    @Test
    void returnIsTheTerminator() {
        assertThat(def("stablehlo.return").has(OpTrait.TERMINATOR)).isTrue();
        Block.Builder bb = Block.builder();
        BlockArgument a = bb.addArgument(s(F32));
        Operation early = bb.append(Operation.builder("stablehlo.return").operand(a).build());
        bb.append(Operation.builder("stablehlo.return").operand(a).build());
        bb.build();
        rejects(early, "terminator", "must be the last operation in its block");
    }

    @Test
    void optimizationBarrierIsIdentityTyped() {
        verifies(Operation.builder("stablehlo.optimization_barrier").operands(value(s(F32)), value(TokenType.INSTANCE))
                .resultTypes(s(F32), TokenType.INSTANCE).build());
        rejects(Operation.builder("stablehlo.optimization_barrier").operand(value(s(F32))).resultType(s(I32)).build(),
                "optimization_barrier_c1", "must equal operand types");
    }

    @Test
    void customCallBackendConfigFollowsApiVersion() {
        Operation typed = Operation.builder("stablehlo.custom_call").operand(value(t(F32, 4)))
                .property("call_target_name", new StringAttr("foo")).property("api_version", IntegerAttr.i32(4))
                .property("backend_config", DictionaryAttr.of(Map.of("k", IntegerAttr.i64(1)))).resultType(t(F32, 4)).build();
        verifies(typed);
        rejects(Operation.builder("stablehlo.custom_call").operand(value(t(F32, 4))).property("call_target_name", new StringAttr("foo"))
                .property("api_version", IntegerAttr.i32(4)).property("backend_config", new StringAttr(""))
                .resultType(t(F32, 4)).build(), "custom_call_i4", "backend_config for api_version API_VERSION_TYPED_FFI must be a dictionary");
        rejects(Operation.builder("stablehlo.custom_call").property("call_target_name", new StringAttr("foo"))
                .property("backend_config", DictionaryAttr.EMPTY).build(),
                "custom_call_i4", "backend_config for api_version API_VERSION_ORIGINAL must be a string attribute.");
        rejects(Operation.builder("stablehlo.custom_call").operand(value(t(F32, 4, 2))).property("call_target_name", new StringAttr("foo"))
                .property("operand_layouts", io.hlo4j.mlir.attr.ArrayAttr.of(i64Dense(new long[] {2}, 0, 0)))
                .property("result_layouts", io.hlo4j.mlir.attr.ArrayAttr.of()).build(),
                "custom_call_layouts", "layout must be a permutation of [0, 2)");
    }

    /** The spec's buffer targets (XLA GPU): CreateBuffer makes a memref from nothing, Pin turns a tensor into one. */
    @Test
    void customCallBufferTargets() {
        Type memref = new io.hlo4j.mlir.types.OpaqueType("memref<4xf64>");
        verifies(Operation.builder("stablehlo.custom_call").property("call_target_name", new StringAttr("CreateBuffer"))
                .property("api_version", IntegerAttr.i32(4)).resultType(memref).build());
        rejects(Operation.builder("stablehlo.custom_call").operand(value(t(F32, 4))).property("call_target_name", new StringAttr("CreateBuffer"))
                .resultType(memref).build(), "custom_call_buffers", "CreateBuffer custom_call shouldn't have any inputs");
        verifies(Operation.builder("stablehlo.custom_call").operand(value(t(FloatType.F64, 4)))
                .property("call_target_name", new StringAttr("Pin")).resultType(memref).build());
        rejects(Operation.builder("stablehlo.custom_call").operand(value(t(FloatType.F64, 4)))
                .property("call_target_name", new StringAttr("Pin")).resultType(t(FloatType.F64, 4)).build(),
                "custom_call_buffers", "Pin custom_call should have a memref output");
    }

    /** The composite is checked against its decomposition function, found in the enclosing module. */
    @Test
    void compositeMatchesDecomposition() {
        Operation impl = Operation.builder("func.func").property("sym_name", new StringAttr("add_n.impl"))
                .property("function_type", new TypeAttr(new FunctionType(List.of(s(I64)), List.of(s(I64))))).build();
        Operation good = composite("stablehlo.add_n", "add_n.impl", s(I64));
        Operation badName = composite("add_n", "add_n.impl", s(I64));
        Operation missing = composite("stablehlo.add_n", "nope", s(I64));
        Operation badType = composite("stablehlo.add_n", "add_n.impl", s(I32));
        Module.of(null, null, List.of(impl, good, badName, missing, badType), Location.UNKNOWN);
        verifies(good);
        rejects(badName, "composite_c1", "name must be a valid namespaced op name");
        rejects(missing, "composite_c2", "'nope' does not reference a valid function");
        rejects(badType, "composite_c3", "operand at index 0 has type tensor<i32>, but decomposition has type tensor<i64>");
    }

    private static Operation composite(String name, String decomposition, Type t) {
        return Operation.builder("stablehlo.composite").operand(value(t)).resultType(t)
                .property("name", new StringAttr(name)).property("decomposition", SymbolRefAttr.of(decomposition))
                .property("composite_attributes", DictionaryAttr.of(Map.of("n", IntegerAttr.i64(2)))).build();
    }
}
