package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.types.IndexType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.accumulatorTypes;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.block;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.compatibleDims;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.compatibleShapeAndElementType;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.compatibleShapes;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.expectRegions;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.fail;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.returnTypes;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.tensor;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.tensors;

/** reduce_window, select_and_scatter and scatter: generic-only ops with reducer regions. */
final class RegionWindowedOps {
    private RegionWindowedOps() {}

    static void register(OpRegistry registry) {
        registry.register(OpDef.builder("stablehlo.reduce_window").summary("ReduceWindow operation")
                .inherent("window_dimensions", "window_strides", "base_dilations", "window_dilations", "padding")
                .syntax(OpSyntax.GENERIC).verifier(RegionWindowedOps::verifyReduceWindow)
                .inference(RegionWindowedOps::inferReduceWindow).build());
        registry.register(OpDef.builder("stablehlo.select_and_scatter").summary("SelectAndScatter operation")
                .inherent("window_dimensions", "window_strides", "padding")
                .syntax(OpSyntax.GENERIC).verifier(RegionWindowedOps::verifySelectAndScatter)
                .inference((operands, props, regions) -> {
                    TensorType operand = (TensorType) operands.get(0);
                    TensorType acc = accumulatorTypes(regions, 1, List.of(operand)).get(0);
                    return List.of(RegionChecks.sameShape(operand, acc.elementType()));
                }).build());
        registry.register(OpDef.builder("stablehlo.scatter").summary("Scatter operation")
                .inherent("scatter_dimension_numbers", "indices_are_sorted", "unique_indices")
                .syntax(OpSyntax.GENERIC).verifier(RegionWindowedOps::verifyScatter)
                .inference((operands, props, regions) -> {
                    int n = (operands.size() - 1) / 2;
                    List<TensorType> inputs = new ArrayList<>();
                    for (int i = 0; i < n; i++) inputs.add((TensorType) operands.get(i));
                    List<TensorType> acc = accumulatorTypes(regions, 0, inputs);
                    List<Type> out = new ArrayList<>();
                    for (int i = 0; i < n; i++) out.add(RegionChecks.sameShape(inputs.get(i), acc.get(i).elementType()));
                    return out;
                }).build());
    }

    // ---- reduce_window -----------------------------------------------------------------------

    private static RegionWindow reduceWindowOf(Operation op, List<TensorType> inputs) {
        long[] dims = RegionChecks.requiredI64Array(op, "window_dimensions", "reduce_window_i3");
        for (TensorType in : inputs) {
            if (in.rank() != dims.length) {
                throw fail(op, "reduce_window_c4", "expects window-dimensions size == input rank, but got window-dimensions size: "
                        + dims.length + " and input: " + in + " with rank = " + in.rank() + ".");
            }
        }
        return RegionWindow.of(op, dims, RegionChecks.i64Array(op, "window_strides", "reduce_window_i4"),
                RegionChecks.i64Array(op, "base_dilations", "reduce_window_i5"),
                RegionChecks.i64Array(op, "window_dilations", "reduce_window_i6"),
                RegionChecks.denseInts(op, "padding", "reduce_window_i7"), "reduce_window");
    }

    private static void verifyReduceWindow(Operation op) {
        if (op.numOperands() == 0 || op.numOperands() % 2 != 0) {
            throw fail(op, "reduce_window_c1", "requires at least 1 input value and as many init values as inputs, but has "
                    + op.numOperands() + " operand(s)");
        }
        int n = op.numOperands() / 2;
        List<TensorType> inputs = tensors(op, op.operands().subList(0, n), "input", "reduce_window_i1");
        List<TensorType> inits = tensors(op, op.operands().subList(n, 2 * n), "init_value", "reduce_window_i2");
        for (int i = 1; i < n; i++) {
            if (!compatibleShapes(inputs.get(0).shape(), inputs.get(i).shape())) {
                throw fail(op, "reduce_window_c2", "expects all inputs to have compatible shapes. Shape at input-index " + i
                        + " is not compatible with shape at input-index 0");
            }
        }
        RegionWindow w = reduceWindowOf(op, inputs);
        expectRegions(op, 1, "reduce_window_i8");
        Block body = block(op, 0, "body", "reduce_window_i8");
        RegionChecks.verifyReducer(op, body, inputs, inits, w.size(), "reduce_window_c13");
        if (op.numResults() != n) throw fail(op, "reduce_window_c14", "expects " + n + " results, but has " + op.numResults());
        List<TensorType> acc = accumulatorTypes(op.regions(), 0, inputs);
        for (int i = 0; i < n; i++) {
            TensorType r = tensor(op, op.resultTypes().get(i), "result #" + i, "reduce_window_c15");
            long[] expected = w.outputShape(inputs.get(i).shape());
            if (!compatibleShapes(r.shape(), expected)) {
                throw fail(op, "reduce_window_c15", "result #" + i + " is " + r + " but the window gives shape "
                        + RegionOps.shapeText(expected));
            }
            if (!r.elementType().equals(acc.get(i).elementType())) {
                throw fail(op, "reduce_window_c16", "result #" + i + " has element type " + r.elementType()
                        + " but the body returns " + acc.get(i).elementType());
            }
        }
    }

    private static List<Type> inferReduceWindow(List<Type> operands, DictionaryAttr props, List<Region> regions) {
        int n = operands.size() / 2;
        List<TensorType> inputs = new ArrayList<>();
        for (int i = 0; i < n; i++) inputs.add((TensorType) operands.get(i));
        Operation probe = Operation.builder("stablehlo.reduce_window").properties(props).build();
        RegionWindow w = reduceWindowOf(probe, inputs);
        List<TensorType> acc = accumulatorTypes(regions, 0, inputs);
        List<Type> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(TensorType.of(acc.get(i).elementType(), w.outputShape(inputs.get(i).shape())));
        return out;
    }

    // ---- select_and_scatter ------------------------------------------------------------------

    private static void verifySelectAndScatter(Operation op) {
        if (op.numOperands() != 3) {
            throw fail(op, "select_and_scatter_i1", "expects operands (operand, source, init_value), but has " + op.numOperands());
        }
        TensorType operand = tensor(op, op.operand(0).type(), "operand", "select_and_scatter_i1");
        TensorType source = tensor(op, op.operand(1).type(), "source", "select_and_scatter_i2");
        TensorType init = tensor(op, op.operand(2).type(), "init_value", "select_and_scatter_i3");
        expectRegions(op, 2, "select_and_scatter_i7");
        Block select = block(op, 0, "select", "select_and_scatter_i7");
        Block scatter = block(op, 1, "scatter", "select_and_scatter_i8");
        if (select.arguments().size() != 2) {
            throw fail(op, "select_and_scatter_c9", "expects the select-region to take 2 parameters, but takes "
                    + select.arguments().size());
        }
        TensorType expectedArg = TensorType.scalar(operand.elementType());
        for (int i = 0; i < 2; i++) {
            if (!compatibleShapeAndElementType(expectedArg, select.argument(i).type(), true)) {
                throw fail(op, "select_and_scatter_c9", "expects the type of select-region's parameter at index " + i
                        + " to be " + expectedArg + ", but got " + select.argument(i).type());
            }
        }
        List<Type> selectResult = returnTypes(select);
        if (selectResult.size() != 1) {
            throw fail(op, "select_and_scatter_c9", "expects select-region to return single value, but got: " + selectResult.size());
        }
        if (!RegionChecks.isI1Scalar(selectResult.get(0))) {
            throw fail(op, "select_and_scatter_c9", "expects the return-type of select-region to be tensor<i1>, but got: "
                    + selectResult.get(0));
        }
        RegionChecks.verifyReducer(op, scatter, List.of(TensorType.scalar(source.elementType())), List.of(init),
                new long[0], "select_and_scatter_c10");
        long[] dims = RegionChecks.i64Array(op, "window_dimensions", "select_and_scatter_i4");
        if (dims == null) dims = new long[0];
        if (operand.rank() != dims.length) {
            throw fail(op, "select_and_scatter_c4", "expects window-dimensions size == operand rank, but got window-dimensions size: "
                    + dims.length + " and operand-type: " + operand + " with rank = " + operand.rank() + ".");
        }
        RegionWindow w = RegionWindow.of(op, dims, RegionChecks.i64Array(op, "window_strides", "select_and_scatter_i5"),
                null, null, RegionChecks.denseInts(op, "padding", "select_and_scatter_i6"), "select_and_scatter");
        TensorType windowResult = TensorType.of(operand.elementType(), w.outputShape(operand.shape()));
        if (!compatibleShapeAndElementType(windowResult, source, true)) {
            throw fail(op, "select_and_scatter_c1", "expects source-type to be " + windowResult + ", but got" + source);
        }
        if (op.numResults() != 1) throw fail(op, "select_and_scatter_c11", "expects one result, but has " + op.numResults());
        TensorType acc = accumulatorTypes(op.regions(), 1, List.of(operand)).get(0);
        TensorType r = tensor(op, op.resultTypes().get(0), "result", "select_and_scatter_c11");
        if (!compatibleShapes(r.shape(), operand.shape()) || !r.elementType().equals(acc.elementType())) {
            throw fail(op, "select_and_scatter_c11", "result type " + r + " must have the operand's shape and the scatter region's"
                    + " element type " + acc.elementType());
        }
    }

    // ---- scatter -----------------------------------------------------------------------------

    /** The fields of {@code #stablehlo.scatter<...>}: from the typed record, or from the canonical text of an opaque one. */
    record ScatterDims(long[] updateWindowDims, long[] insertedWindowDims, long[] inputBatchingDims,
                       long[] scatterIndicesBatchingDims, long[] scatterDimsToOperandDims, long indexVectorDim) {
        static ScatterDims of(Operation op, Attribute a) {
            if (a == null) throw fail(op, "scatter_i4", "requires attribute 'scatter_dimension_numbers'");
            if (a instanceof ScatterDimensionNumbers s) {
                return new ScatterDims(s.updateWindowDims().toArray(), s.insertedWindowDims().toArray(),
                        s.inputBatchingDims().toArray(), s.scatterIndicesBatchingDims().toArray(),
                        s.scatterDimsToOperandDims().toArray(), s.indexVectorDim());
            }
            Map<String, String> f = RegionChecks.structFields(a.toString(), "#stablehlo.scatter<");
            if (f == null) {
                throw fail(op, "scatter_i4", "attribute 'scatter_dimension_numbers' must be a #stablehlo.scatter<...>, but got " + a);
            }
            try {
                return new ScatterDims(RegionChecks.intList(f.get("update_window_dims")),
                        RegionChecks.intList(f.get("inserted_window_dims")), RegionChecks.intList(f.get("input_batching_dims")),
                        RegionChecks.intList(f.get("scatter_indices_batching_dims")),
                        RegionChecks.intList(f.get("scatter_dims_to_operand_dims")),
                        f.containsKey("index_vector_dim") ? Long.parseLong(f.get("index_vector_dim")) : 0);
            } catch (IllegalArgumentException e) {
                throw fail(op, "scatter_i4", "malformed scatter_dimension_numbers " + a + ": " + e.getMessage());
            }
        }
    }

    private static void verifyScatter(Operation op) {
        int count = op.numOperands();
        if (count < 3 || count % 2 == 0) {
            throw fail(op, "scatter_c5", "expects N inputs, scatter_indices and N updates (N >= 1), but has " + count + " operand(s)");
        }
        int n = (count - 1) / 2;
        List<TensorType> inputs = tensors(op, op.operands().subList(0, n), "input", "scatter_i1");
        TensorType indices = tensor(op, op.operand(n).type(), "scatter_indices", "scatter_i2");
        if (!(indices.elementType() instanceof IntegerType) && !(indices.elementType() instanceof IndexType)) {
            throw fail(op, "scatter_i2", "scatter_indices must have an integer element type, but got " + indices);
        }
        List<TensorType> updates = tensors(op, op.operands().subList(n + 1, count), "update", "scatter_i3");
        ScatterDims d = ScatterDims.of(op, op.attr("scatter_dimension_numbers"));
        RegionChecks.bool(op, "indices_are_sorted", "scatter_i10");
        RegionChecks.bool(op, "unique_indices", "scatter_i11");
        for (TensorType t : inputs) {
            if (!compatibleShapes(inputs.get(0).shape(), t.shape())) throw fail(op, "scatter_c1", "Not all inputs have compatible shapes.");
        }
        for (TensorType t : updates) {
            if (!compatibleShapes(updates.get(0).shape(), t.shape())) throw fail(op, "scatter_c3", "Not all updates have compatible shapes.");
        }
        for (int i = 0; i < n; i++) {
            if (!Verify.sameElement(inputs.get(i).elementType(), updates.get(i).elementType())) {
                throw fail(op, "scatter_c6", "update #" + i + " " + updates.get(i) + " must have the element type of input #" + i + " "
                        + inputs.get(i));
            }
        }
        if (d.indexVectorDim() < 0 || d.indexVectorDim() > indices.rank()) {
            throw fail(op, "scatter_c22", "Expects index_vector_dim to be in range [0, rank-of('scatter_indices')] i.e. [0, "
                    + indices.rank() + "]. got: " + d.indexVectorDim() + ".");
        }
        expectRegions(op, 1, "scatter_i12");
        Block body = block(op, 0, "update_computation", "scatter_i12");
        List<TensorType> initTypes = new ArrayList<>();
        for (TensorType u : updates) initTypes.add(TensorType.scalar(u.elementType()));
        RegionChecks.verifyReducer(op, body, inputs, initTypes, new long[0], "scatter_c23");

        long[] expandedIndices = indices.shape();
        if (expandedIndices.length == d.indexVectorDim()) {
            expandedIndices = Arrays.copyOf(expandedIndices, expandedIndices.length + 1);
            expandedIndices[expandedIndices.length - 1] = 1;
        }
        long expectedUpdatesRank = expandedIndices.length - 1 + d.updateWindowDims().length;
        for (TensorType u : updates) {
            if (u.rank() != expectedUpdatesRank) {
                throw fail(op, "scatter_c4", "expects updates tensor must be of rank " + expectedUpdatesRank
                        + " ( == rank-of('scatter_indices') - 1 + size-of('update_window_dims'), where 'scatter_indices' is expanded"
                        + " by a trailing 1 dimension if 'index_vector_dim' == rank-of('scatter_indices')), but got " + u.rank() + ".");
            }
        }
        for (int i = 0; i < n; i++) {
            validateDims(op, inputs.get(i), indices, expandedIndices, updates.get(i), d);
            checkUpdateBounds(op, inputs.get(i), expandedIndices, updates.get(i), d);
        }
        if (op.numResults() != n) throw fail(op, "scatter_c24", "expects " + n + " results, but has " + op.numResults());
        List<TensorType> acc = accumulatorTypes(op.regions(), 0, inputs);
        for (int i = 0; i < n; i++) {
            TensorType r = tensor(op, op.resultTypes().get(i), "result #" + i, "scatter_c24");
            if (!compatibleShapes(r.shape(), inputs.get(i).shape()) || !r.elementType().equals(acc.get(i).elementType())) {
                throw fail(op, "scatter_c25", "result #" + i + " is " + r + " but must have the shape of " + inputs.get(i)
                        + " and element type " + acc.get(i).elementType());
            }
        }
    }

    /**
     * scatter_c2, scatter_c7..c21 (upstream's validateScatterDimensionNumbers). Messages end with the input,
     * indices and update types, which the dims refer to.
     */
    private static void validateDims(Operation op, TensorType operand, TensorType indices, long[] indicesShape, TensorType update,
                                     ScatterDims d) {
        String at = "; input " + operand + ", scatter_indices " + indices + ", update " + update;
        int windowSize = d.updateWindowDims().length + d.insertedWindowDims().length + d.inputBatchingDims().length;
        if (operand.rank() != windowSize) {
            throw fail(op, "scatter_c2", "Expects rank-of operand to match size-of('update_window_dims') + size-of('inserted_window_dims')"
                    + " + size-of('input_batching_dims') i.e. " + windowSize + " but got " + operand.rank() + "." + at);
        }
        if (!sorted(d.updateWindowDims())) {
            throw fail(op, "scatter_c7", "Expects update_window_dims to be sorted; got: " + list(d.updateWindowDims()) + "." + at);
        }
        if (!unique(d.updateWindowDims())) {
            throw fail(op, "scatter_c7", "Expects update_window_dims to not repeat; got: " + list(d.updateWindowDims()) + "." + at);
        }
        inBounds(op, d.updateWindowDims(), update.rank(), "update_window_dims", "rank-of('updates')", "scatter_c8", at);
        distinct(op, d.insertedWindowDims(), d.inputBatchingDims(), "inserted_window_dims", "input_batching_dims", "scatter_c9", at);
        if (!sorted(d.insertedWindowDims())) {
            throw fail(op, "scatter_c10", "Expects inserted_window_dims to be sorted; got: " + list(d.insertedWindowDims()) + "." + at);
        }
        inBounds(op, d.insertedWindowDims(), operand.rank(), "inserted_window_dims", "rank-of('operand')", "scatter_c11", at);
        if (!sorted(d.inputBatchingDims())) {
            throw fail(op, "scatter_c12", "Expects input_batching_dims to be sorted; got: " + list(d.inputBatchingDims()) + "." + at);
        }
        inBounds(op, d.inputBatchingDims(), operand.rank(), "input_batching_dims", "rank-of('operand')", "scatter_c13", at);
        if (!unique(d.scatterIndicesBatchingDims())) {
            throw fail(op, "scatter_c14", "Expects scatter_indices_batching_dims to not repeat; got: "
                    + list(d.scatterIndicesBatchingDims()) + "." + at);
        }
        inBounds(op, d.scatterIndicesBatchingDims(), indicesShape.length, "scatter_indices_batching_dims",
                "rank-of('scatter_indices')", "scatter_c15", at);
        for (long x : d.scatterIndicesBatchingDims()) {
            if (x == d.indexVectorDim()) {
                throw fail(op, "scatter_c16", "expects scatter_indices_batching_dims not to include index_vector_dim "
                        + d.indexVectorDim() + "." + at);
            }
        }
        if (d.inputBatchingDims().length != d.scatterIndicesBatchingDims().length) {
            throw fail(op, "scatter_c17", "input_batching_dims and scatter_indices_batching_dims should have the same size." + at);
        }
        for (int i = 0; i < d.inputBatchingDims().length; i++) {
            long a = operand.dim((int) d.inputBatchingDims()[i]);
            long b = indicesShape[(int) d.scatterIndicesBatchingDims()[i]];
            if (!compatibleDims(a, b)) {
                throw fail(op, "scatter_c18", "input_batching_dims[" + i + "] and scatter_indices_batching_dims[" + i
                        + "] must have compatible sizes, but got " + a + " and " + b + "." + at);
            }
        }
        long bound = indicesShape[(int) d.indexVectorDim()];
        if (bound != TensorType.DYNAMIC && d.scatterDimsToOperandDims().length != bound) {
            throw fail(op, "scatter_c19", "Scatter op has " + d.scatterDimsToOperandDims().length
                    + " elements in scatter_dims_to_operand_dims and the bound of dimension index_vector_dim="
                    + d.indexVectorDim() + " of scatter_indices is " + bound + ". These two numbers must be equal." + at);
        }
        distinct(op, d.scatterDimsToOperandDims(), d.inputBatchingDims(), "scatter_dims_to_operand_dims", "input_batching_dims",
                "scatter_c20", at);
        inBounds(op, d.scatterDimsToOperandDims(), operand.rank(), "scatter_dims_to_operand_dims", "rank-of('operand')", "scatter_c21", at);
    }

    /** scatter_c4: update window dims fit the operand, update scatter dims match the indices. */
    private static void checkUpdateBounds(Operation op, TensorType operand, long[] indicesShape, TensorType update, ScatterDims d) {
        List<Long> maxSlice = new ArrayList<>();
        Set<Long> inserted = set(d.insertedWindowDims());
        Set<Long> batching = set(d.inputBatchingDims());
        for (int i = 0; i < operand.rank(); i++) {
            if (!inserted.contains((long) i) && !batching.contains((long) i)) maxSlice.add(operand.dim(i));
        }
        long[] uw = d.updateWindowDims();
        for (int i = 0; i < uw.length && i < maxSlice.size(); i++) {
            long u = update.dim((int) uw[i]);
            long m = maxSlice.get(i);
            if (u == TensorType.DYNAMIC || m == TensorType.DYNAMIC) continue;
            if (u > m) {
                throw fail(op, "scatter_c4", "expects bounds of the window dimensions of updates to not exceed the bounds of the"
                        + " corresponding dimensions of operand. For dimension " + uw[i] + ", updates bound is " + u
                        + ", operand bound is " + m + ".");
            }
        }
        Set<Long> windowDims = set(uw);
        int seen = 0;
        for (int i = 0; i < update.rank(); i++) {
            if (windowDims.contains((long) i)) continue;
            if (seen == d.indexVectorDim()) seen++;
            if (!compatibleDims(update.dim(i), indicesShape[seen])) {
                throw fail(op, "scatter_c4", "expects bounds of the scatter dimensions of updates to be same as the bounds of the"
                        + " corresponding dimensions of scatter indices. For scatter dimension " + i + ", updates bound is "
                        + update.dim(i) + " , scatter_indices bound is " + indicesShape[seen] + ".");
            }
            seen++;
        }
    }

    private static boolean sorted(long[] a) {
        for (int i = 1; i < a.length; i++) if (a[i - 1] > a[i]) return false;
        return true;
    }

    private static boolean unique(long[] a) { return set(a).size() == a.length; }

    private static Set<Long> set(long[] a) {
        Set<Long> s = new HashSet<>();
        for (long x : a) s.add(x);
        return s;
    }

    private static String list(long[] a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < a.length; i++) sb.append(i > 0 ? ", " : "").append(a[i]);
        return sb.append(']').toString();
    }

    private static void inBounds(Operation op, long[] dims, long bound, String name, String boundName, String rule, String at) {
        for (long x : dims) {
            if (x < 0 || x >= bound) {
                throw fail(op, rule, "Expects each element of " + name + " to be in range [0, " + boundName + ") i.e. [0, "
                        + bound + "). got: " + x + "." + at);
            }
        }
    }

    private static void distinct(Operation op, long[] a, long[] b, String an, String bn, String rule, String at) {
        Set<Long> s = new HashSet<>();
        for (long x : a) if (!s.add(x)) throw fail(op, rule, "has duplicated dimension from " + an + " and " + bn + ": " + x + at);
        for (long x : b) if (!s.add(x)) throw fail(op, rule, "has duplicated dimension from " + an + " and " + bn + ": " + x + at);
    }
}
