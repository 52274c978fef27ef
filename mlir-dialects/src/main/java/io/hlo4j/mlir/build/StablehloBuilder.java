package io.hlo4j.mlir.build;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Typed helpers over an {@link IrBuilder} for the StableHLO ops models use. Each takes the caller's location
 * last; result types the dialect cannot infer (reshape, broadcast_in_dim, dot_general's preferred element type)
 * are computed here, the others come from the ops' type rules, and every op is still verified at emission.
 */
public final class StablehloBuilder {
    private final IrBuilder b;

    public StablehloBuilder(IrBuilder b) { this.b = b; }

    public IrBuilder ir() { return b; }

    public static TensorType tensor(Value v, String opName, Location loc) {
        if (v.type() instanceof TensorType t) return t;
        throw new Hlo4jException("'" + opName + "' expects a tensor operand, got " + v.type(), loc);
    }

    // ---- leaves ----------------------------------------------------------------------------------------

    public OpResult constant(DenseElementsAttr value, Location loc) {
        return b.emit1("stablehlo.constant", List.of(), Map.of("value", value), loc);
    }

    /** A splat constant of {@code type} (a scalar when the shape is empty). */
    public OpResult constant(TensorType type, double value, Location loc) { return constant(Constants.splat(type, value), loc); }

    public OpResult iota(TensorType type, int dimension, Location loc) {
        return single("stablehlo.iota", List.of(), Map.of("iota_dimension", IntegerAttr.i64(dimension)), type, loc);
    }

    // ---- element-wise ----------------------------------------------------------------------------------

    /** A same-type unary op by mnemonic: {@code "exponential"}, {@code "negate"}, {@code "tanh"}, ... */
    public OpResult unary(String mnemonic, Value x, Location loc) {
        return b.emit1("stablehlo." + mnemonic, List.of(x), Map.of(), loc);
    }

    /** A binary element-wise op by mnemonic: {@code "add"}, {@code "maximum"}, {@code "power"}, ... */
    public OpResult binary(String mnemonic, Value x, Value y, Location loc) {
        return b.emit1("stablehlo." + mnemonic, List.of(x, y), Map.of(), loc);
    }

    public OpResult add(Value x, Value y, Location loc) { return binary("add", x, y, loc); }
    public OpResult subtract(Value x, Value y, Location loc) { return binary("subtract", x, y, loc); }
    public OpResult multiply(Value x, Value y, Location loc) { return binary("multiply", x, y, loc); }
    public OpResult divide(Value x, Value y, Location loc) { return binary("divide", x, y, loc); }
    public OpResult maximum(Value x, Value y, Location loc) { return binary("maximum", x, y, loc); }
    public OpResult minimum(Value x, Value y, Location loc) { return binary("minimum", x, y, loc); }
    public OpResult negate(Value x, Location loc) { return unary("negate", x, loc); }

    /** {@code direction} is EQ/NE/LT/LE/GT/GE; {@code compareType} may be null (the dialect's default). */
    public OpResult compare(String direction, Value x, Value y, String compareType, Location loc) {
        Map<String, Attribute> props = new TreeMap<>();
        props.put("comparison_direction", EnumAttr.comparisonDirection(direction));
        if (compareType != null) props.put("compare_type", EnumAttr.comparisonType(compareType));
        return b.emit1("stablehlo.compare", List.of(x, y), props, loc);
    }

    public OpResult select(Value pred, Value onTrue, Value onFalse, Location loc) {
        return b.emit1("stablehlo.select", List.of(pred, onTrue, onFalse), Map.of(), loc);
    }

    public OpResult convert(Value x, ElementType to, Location loc) {
        return single("stablehlo.convert", List.of(x), Map.of(), tensor(x, "stablehlo.convert", loc).withElementType(to), loc);
    }

    // ---- shape ---------------------------------------------------------------------------------------

    public OpResult reshape(Value x, long[] shape, Location loc) {
        return single("stablehlo.reshape", List.of(x), Map.of(), tensor(x, "stablehlo.reshape", loc).withShape(shape), loc);
    }

    public OpResult broadcastInDim(Value x, long[] shape, long[] dims, Location loc) {
        return single("stablehlo.broadcast_in_dim", List.of(x), Map.of("broadcast_dimensions", DenseArrayAttr.ofI64(dims)),
                tensor(x, "stablehlo.broadcast_in_dim", loc).withShape(shape), loc);
    }

    // transpose, slice, dynamic_slice, dynamic_update_slice, concatenate, pad and dot_general take their result types
    // from the ops' own type rules, which refuse bad dims, sizes and paddings by name before anything is emitted.

    public OpResult transpose(Value x, long[] permutation, Location loc) {
        return b.emit1("stablehlo.transpose", List.of(x), Map.of("permutation", DenseArrayAttr.ofI64(permutation)), loc);
    }

    public OpResult slice(Value x, long[] start, long[] limit, long[] strides, Location loc) {
        return b.emit1("stablehlo.slice", List.of(x), Map.of("start_indices", DenseArrayAttr.ofI64(start),
                "limit_indices", DenseArrayAttr.ofI64(limit), "strides", DenseArrayAttr.ofI64(strides)), loc);
    }

    /** {@code starts} are scalar integer tensors, one per dimension. */
    public OpResult dynamicSlice(Value x, List<? extends Value> starts, long[] sizes, Location loc) {
        List<Value> ops = new ArrayList<>();
        ops.add(x);
        ops.addAll(starts);
        return b.emit1("stablehlo.dynamic_slice", ops, Map.of("slice_sizes", DenseArrayAttr.ofI64(sizes)), loc);
    }

    public OpResult dynamicUpdateSlice(Value x, Value update, List<? extends Value> starts, Location loc) {
        List<Value> ops = new ArrayList<>();
        ops.add(x);
        ops.add(update);
        ops.addAll(starts);
        return b.emit1("stablehlo.dynamic_update_slice", ops, Map.of(), loc);
    }

    public OpResult concatenate(List<? extends Value> xs, int dimension, Location loc) {
        return b.emit1("stablehlo.concatenate", xs, Map.of("dimension", IntegerAttr.i64(dimension)), loc);
    }

    public OpResult pad(Value x, Value padValue, long[] low, long[] high, long[] interior, Location loc) {
        return b.emit1("stablehlo.pad", List.of(x, padValue), Map.of("edge_padding_low", DenseArrayAttr.ofI64(low),
                "edge_padding_high", DenseArrayAttr.ofI64(high), "interior_padding", DenseArrayAttr.ofI64(interior)), loc);
    }

    // ---- contractions ------------------------------------------------------------------------------------

    /**
     * {@code dot_general} with result element type {@code resultElement} (null: the lhs element type); the result
     * shape (batch dims, then lhs free dims, then rhs free dims) comes from the op's type rule.
     */
    public OpResult dotGeneral(Value lhs, Value rhs, long[] lhsBatch, long[] rhsBatch, long[] lhsContract, long[] rhsContract,
                               ElementType resultElement, Location loc) {
        DotDimensionNumbers dn = new DotDimensionNumbers(Dims.of(lhsBatch), Dims.of(rhsBatch), Dims.of(lhsContract), Dims.of(rhsContract));
        Map<String, Attribute> props = Map.of("dot_dimension_numbers", dn);
        TensorType shape = (TensorType) b.infer("stablehlo.dot_general", List.of(lhs, rhs), props, List.of(), loc).get(0);
        return single("stablehlo.dot_general", List.of(lhs, rhs), props,
                resultElement == null ? shape : shape.withElementType(resultElement), loc);
    }

    /**
     * {@code chlo.ragged_dot}: lhs [m, k] (rows split into groups by {@code groupSizes}), rhs [g, k, n] gives [m, n]
     * in the common mode; the dimension numbers are given explicitly for other modes.
     */
    public OpResult raggedDot(Value lhs, Value rhs, Value groupSizes, RaggedDotDimensionNumbers dn, TensorType resultType,
                              Location loc) {
        return single("chlo.ragged_dot", List.of(lhs, rhs, groupSizes), Map.of("ragged_dot_dimension_numbers", dn), resultType, loc);
    }

    /**
     * {@code chlo.ragged_dot} whose result shape comes from the op's type rule, with element type {@code resultElement}
     * (null: the lhs element type).
     */
    public OpResult raggedDot(Value lhs, Value rhs, Value groupSizes, RaggedDotDimensionNumbers dn, ElementType resultElement,
                              Location loc) {
        Map<String, Attribute> props = Map.of("ragged_dot_dimension_numbers", dn);
        TensorType shape = (TensorType) b.infer("chlo.ragged_dot", List.of(lhs, rhs, groupSizes), props, List.of(), loc).get(0);
        return raggedDot(lhs, rhs, groupSizes, dn, resultElement == null ? shape : shape.withElementType(resultElement), loc);
    }

    // ---- reductions and regions ----------------------------------------------------------------------------

    /** The scalar combiner named {@code add}, {@code multiply}, {@code maximum}, {@code minimum}, {@code and}, {@code or}. */
    public Region combiner(String mnemonic, ElementType et, Location loc) {
        TensorType s = TensorType.scalar(et);
        return b.region(List.of(s, s), rb -> List.of(new StablehloBuilder(rb).binary(mnemonic, rb.argument(0), rb.argument(1), loc)),
                "stablehlo.return", loc);
    }

    /** One-operand reduce over {@code dims} with the named combiner. */
    public OpResult reduce(Value x, Value init, long[] dims, String combiner, Location loc) {
        TensorType t = tensor(x, "stablehlo.reduce", loc);
        return reduce(List.of(x), List.of(init), dims, combiner(combiner, t.elementType(), loc), loc).get(0);
    }

    /** Multi-operand reduce with a body region built by the caller (see {@link #region}). */
    public List<OpResult> reduce(List<? extends Value> xs, List<? extends Value> inits, long[] dims, Region body, Location loc) {
        List<Value> ops = new ArrayList<>(xs);
        ops.addAll(inits);
        return b.emit("stablehlo.reduce", ops, Map.of("dimensions", DenseArrayAttr.ofI64(dims)), List.of(body), null, loc);
    }

    /** A region terminated by {@code stablehlo.return}. */
    public Region region(List<? extends Type> argTypes, Function<StablehloBuilder, List<? extends Value>> body, Location loc) {
        return b.region(argTypes, rb -> body.apply(new StablehloBuilder(rb)), "stablehlo.return", loc);
    }

    public List<OpResult> sort(List<? extends Value> xs, int dimension, boolean stable, Region comparator, Location loc) {
        return b.emit("stablehlo.sort", xs, Map.of("dimension", IntegerAttr.i64(dimension), "is_stable", BoolAttr.of(stable)),
                List.of(comparator), null, loc);
    }

    /** {@code stablehlo.while}: {@code cond} returns a tensor<i1>, {@code body} the next carried values. */
    public List<OpResult> whileLoop(List<? extends Value> init, Function<StablehloBuilder, List<? extends Value>> cond,
                                    Function<StablehloBuilder, List<? extends Value>> body, Location loc) {
        List<Type> ts = init.stream().map(Value::type).toList();
        Region c = region(ts, cond, loc);
        Region bd = region(ts, body, loc);
        return b.emit("stablehlo.while", init, Map.of(), List.of(c, bd), null, loc);
    }

    /** {@code stablehlo.case}: branch {@code index} (tensor<i32>) runs; each branch returns values of the same types. */
    public List<OpResult> caseOp(Value index, List<Function<StablehloBuilder, List<? extends Value>>> branches, Location loc) {
        List<Region> rs = new ArrayList<>();
        for (var br : branches) rs.add(region(List.of(), br, loc));
        return b.emit("stablehlo.case", List.of(index), Map.of(), rs, null, loc);
    }

    /** {@code stablehlo.if}: {@code pred} is a tensor<i1>. */
    public List<OpResult> ifOp(Value pred, Function<StablehloBuilder, List<? extends Value>> onTrue,
                               Function<StablehloBuilder, List<? extends Value>> onFalse, Location loc) {
        return b.emit("stablehlo.if", List.of(pred), Map.of(), List.of(region(List.of(), onTrue, loc), region(List.of(), onFalse, loc)),
                null, loc);
    }

    // ---- gather / scatter ------------------------------------------------------------------------------------

    /** {@code stablehlo.gather}; the result type comes from the op's own type rule, which refuses bad dims by name. */
    public OpResult gather(Value operand, Value indices, GatherDimensionNumbers dn, long[] sliceSizes, boolean sorted, Location loc) {
        return b.emit1("stablehlo.gather", List.of(operand, indices), Map.of("dimension_numbers", dn,
                "slice_sizes", DenseArrayAttr.ofI64(sliceSizes), "indices_are_sorted", BoolAttr.of(sorted)), loc);
    }

    /** One-operand scatter combining updates with the named combiner ({@code add}, or null to overwrite). */
    public OpResult scatter(Value operand, Value indices, Value updates, ScatterDimensionNumbers dn, String combiner,
                            boolean sorted, boolean unique, Location loc) {
        TensorType ot = tensor(operand, "stablehlo.scatter", loc);
        TensorType s = TensorType.scalar(ot.elementType());
        Region body = combiner == null
                ? region(List.of(s, s), sb -> List.of(sb.ir().argument(1)), loc)
                : combiner(combiner, ot.elementType(), loc);
        return b.emit("stablehlo.scatter", List.of(operand, indices, updates), Map.of("scatter_dimension_numbers", dn,
                "indices_are_sorted", BoolAttr.of(sorted), "unique_indices", BoolAttr.of(unique)), List.of(body), null, loc).get(0);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private OpResult single(String opName, List<? extends Value> operands, Map<String, ? extends Attribute> props, Type result,
                            Location loc) {
        return IrBuilder.single(b.emit(opName, operands, props, List.of(), List.of(result), loc), opName, loc);
    }
}
