package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.DenseElementsAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One op emitted on local blocks: the same op with local operand and result types, and the attributes that
 * encode sizes rewritten for the block (slice limits, dynamic_slice and gather slice sizes); iota adds the
 * block's offset along its dimension. Which dimensions are split comes from the op's {@link FactorPlan}; the
 * plan only splits dimensions the op treats as independent (whole slices, untouched by padding), which is
 * checked again here so a wrong rule fails by name instead of computing garbage.
 */
final class LocalOps {
    private LocalOps() {}

    private static final Set<String> LOCALISED = Set.of("stablehlo.dot_general", "stablehlo.reduce", "stablehlo.transpose",
            "stablehlo.broadcast_in_dim", "stablehlo.reshape", "stablehlo.concatenate", "stablehlo.convert", "stablehlo.compare",
            "stablehlo.select", "stablehlo.clamp", "stablehlo.iota", "stablehlo.slice", "stablehlo.pad", "stablehlo.dynamic_slice",
            "stablehlo.dynamic_update_slice", "stablehlo.gather", "stablehlo.scatter", "stablehlo.sort", "stablehlo.reverse",
            "stablehlo.reduce_precision", "chlo.ragged_dot", "stablehlo.reduce_window", "stablehlo.select_and_scatter",
            "chlo.top_k", "stablehlo.convolution");

    static final String OWN_RULE = "sdy.sharding_rule";

    /** Ops whose sharded reduction factors are finished by an all_reduce with their own combiner. */
    static final Set<String> REDUCING = Set.of("stablehlo.dot_general", "stablehlo.reduce", "chlo.ragged_dot", "stablehlo.convolution");

    static boolean supports(Operation op) {
        if (op.def() != null && op.def().has(OpTrait.ELEMENTWISE) && op.regions().isEmpty()) return true;
        // a custom call the user gave its own sdy.sharding_rule runs on blocks as the rule says (as Shardy trusts it);
        // its reduction factors would need a combiner the rule does not name, so those stay computed replicated
        if (op.name().equals("stablehlo.custom_call") && op.attributes().get(OWN_RULE) instanceof io.hlo4j.mlir.dialect.sdy.OpShardingRule r
                && r.reductionFactors().isEmpty()) return true;
        return LOCALISED.contains(op.name());
    }

    static List<Value> emit(IrBuilder b, Operation op, List<Value> operands, List<TensorType> localResults,
                            List<TensorSharding> operandShardings, List<TensorSharding> resultShardings, CollectiveEmitter emit) {
        Map<String, Attribute> props = new HashMap<>(op.properties().asMap());
        TensorType in0 = op.numOperands() > 0 && op.operand(0).type() instanceof TensorType t ? t : null;
        TensorType local0 = operands.isEmpty() ? null : (TensorType) operands.get(0).type();
        boolean leadGroup = false;
        switch (op.name()) {
            case "stablehlo.slice" -> {
                int r = in0.rank();
                long[] start = HaloOps.longs(op, "start_indices", r, 0), limit = HaloOps.longs(op, "limit_indices", r, 0),
                        strides = HaloOps.longs(op, "strides", r, 1);
                for (int d = 0; d < in0.rank(); d++) {
                    if (local0.dim(d) == in0.dim(d)) continue;
                    if (start[d] != 0 || limit[d] != in0.dim(d) || strides[d] != 1) throw split(op, d, operandShardings.get(0));
                    limit[d] = local0.dim(d);
                }
                props.put("limit_indices", DenseArrayAttr.ofI64(limit));
            }
            case "stablehlo.pad" -> {
                int r = in0.rank();
                long[] lo = HaloOps.longs(op, "edge_padding_low", r, 0), hi = HaloOps.longs(op, "edge_padding_high", r, 0),
                        inner = HaloOps.longs(op, "interior_padding", r, 0);
                for (int d = 0; d < in0.rank(); d++) {
                    if (local0.dim(d) != in0.dim(d) && (lo[d] != 0 || hi[d] != 0 || inner[d] != 0)) throw split(op, d, operandShardings.get(0));
                }
            }
            case "stablehlo.dynamic_slice", "stablehlo.gather" -> {
                long[] sizes = HaloOps.longs(op, "slice_sizes", in0.rank(), 0);
                var batching = op.attr("dimension_numbers") instanceof io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers g
                        ? g.operandBatchingDims() : io.hlo4j.mlir.dialect.stablehlo.attr.Dims.EMPTY;
                for (int d = 0; d < in0.rank(); d++) {
                    // an operand batching dimension is split like the indices' batch: slice size 1 on both sides
                    if (local0.dim(d) == in0.dim(d) || batching.contains(d)) continue;
                    if (sizes[d] != in0.dim(d)) throw split(op, d, operandShardings.get(0));
                    sizes[d] = local0.dim(d);
                }
                props.put("slice_sizes", DenseArrayAttr.ofI64(sizes));
            }
            case "stablehlo.reduce_window", "stablehlo.select_and_scatter" -> {
                // a split dimension must map elements one to one: window 1, stride 1, no padding or base dilation
                for (int d = 0; d < in0.rank(); d++) {
                    if (local0.dim(d) != in0.dim(d) && !io.hlo4j.compiler.spmd.rule.ShardingRules.windowDimIsOneToOne(op, d)) {
                        throw split(op, d, operandShardings.get(0));
                    }
                }
            }
            case "stablehlo.convolution" -> localConvolution(op, operands, localResults, props, resultShardings.get(0));
            case "stablehlo.reshape" -> {
                // the plan keeps a device's block a block on both sides; anything else would be a reshape between counts
                if (local0.numElements() != localResults.get(0).numElements()) {
                    throw new Hlo4jException("'stablehlo.reshape' " + in0 + " -> " + op.result(0).type() + ": the local block " + local0
                            + " (operand " + operandShardings.get(0) + ") cannot become " + localResults.get(0) + " (result "
                            + resultShardings.get(0) + ")", op.location());
                }
            }
            case "chlo.top_k" -> {
                int last = in0.rank() - 1;
                if (local0.dim(last) != in0.dim(last)) throw split(op, last, operandShardings.get(0));
            }
            case "stablehlo.scatter" -> operands = offsetScatterIndices(b, op, operands, operandShardings.get(0), emit);
            case "chlo.ragged_dot" -> {
                if (RaggedDotLocal.splitsResultGroups(op, localResults.get(0))) {
                    operands = RaggedDotLocal.withLocalResultGroups(b, op, operands, resultShardings.get(0), localResults.get(0), emit);
                    localResults = List.of(RaggedDotLocal.withLeadGroup(localResults.get(0)));
                    leadGroup = true;
                } else {
                    operands = RaggedDotLocal.withLocalGroups(b, op, operands, operandShardings.get(1), emit);
                }
            }
            default -> { }
        }
        Operation.Builder ob = LocalOpCopy.of(op, operands, localResults, props, op.location());
        List<Value> out = new ArrayList<>(b.append(ob, op.location()).results());
        if (leadGroup) out.set(0, RaggedDotLocal.dropLeadGroup(b, out.get(0), op.location()));
        if (op.name().equals("stablehlo.iota")) {
            int dim = (int) ((IntegerAttr) op.attr("iota_dimension")).value();
            TensorType lt = localResults.get(0);
            var s = resultShardings.get(0).axesOfDim(dim);
            if (!s.isEmpty()) out.set(0, addOffset(b, out.get(0), lt, emit.offsets(s, lt.dim(dim)), emit, op));
        }
        return out;
    }

    /**
     * A scatter whose indexed (inserted-window) operand dimensions are split: each device scatters into its own
     * rows, so the indices are shifted by the block's offset; updates that land outside the block are then out of
     * bounds, which scatter skips by definition. Indexed dimensions with wider windows, a whole-dimension window
     * included, are never split by the rule: scatter bounds-checks each element, so such a window reaches other blocks.
     */
    private static List<Value> offsetScatterIndices(IrBuilder b, Operation op, List<Value> operands, TensorSharding inputSharding,
                                                     CollectiveEmitter emit) {
        int n = op.numResults();
        var dn = (io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers) op.attr("scatter_dimension_numbers");
        TensorType global = (TensorType) op.operand(0).type(), local = (TensorType) operands.get(0).type();
        TensorType idxType = (TensorType) operands.get(n).type();
        long[] toOperand = dn.scatterDimsToOperandDims().toArray();
        int k = toOperand.length;
        long[] table = new long[emit.grid().devices() * k];
        boolean any = false;
        for (int c = 0; c < k; c++) {
            int d = (int) toOperand[c];
            if (local.dim(d) == global.dim(d)) continue;
            if (!dn.insertedWindowDims().contains(d)) {
                throw new Hlo4jException("'stablehlo.scatter': indexed operand dimension " + d + " is split but its update window is not a "
                        + "single row (the sharding rule should have required it whole)", op.location());
            }
            any = true;
            for (int p = 0; p < emit.grid().devices(); p++) table[p * k + c] = emit.blockStart(p, inputSharding.axesOfDim(d), local.dim(d));
        }
        if (!any) return operands;
        StablehloBuilder h = new StablehloBuilder(b);
        var loc = op.location();
        TensorType i32 = TensorType.of(IntegerType.I32, emit.grid().devices(), k);
        Value tab = h.constant(Constants.ofLongs(i32, table), loc);
        Value zero = h.constant(Constants.ofLongs(TensorType.scalar(IntegerType.I32), 0), loc);
        Value row = h.dynamicSlice(tab, List.of(emit.partitionId(b, loc), zero), new long[] {1, k}, loc);
        Value vec = h.convert(h.reshape(row, new long[] {k}, loc), idxType.elementType(), loc);
        long ivd = dn.indexVectorDim();
        Value wide = ivd < idxType.rank() ? h.broadcastInDim(vec, idxType.shape(), new long[] {ivd}, loc)
                : h.broadcastInDim(h.reshape(vec, new long[0], loc), idxType.shape(), new long[0], loc);
        List<Value> out = new ArrayList<>(operands);
        out.set(n, h.subtract(operands.get(n), wide, loc));
        return out;
    }

    /**
     * A convolution on blocks: a spatial dimension arrives whole (the rule makes it need replication) or, where the
     * result is split along it, as each device's halo'd window (padding and input dilation dropped here, HaloOps applied
     * them); the group counts follow the blocks. The group factor is the major part of the grouped dimensions and is split before the
     * per-group factor, so a device holds whole groups: feature groups = local input features / local kernel input
     * features, batch groups = local input batch / local output batch.
     */
    private static void localConvolution(Operation op, List<Value> operands, List<TensorType> localResults, Map<String, Attribute> props,
                                          TensorSharding resultSharding) {
        var dn = (io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers) op.attr("dimension_numbers");
        TensorType lhs = (TensorType) operands.get(0).type(), rhs = (TensorType) operands.get(1).type(), out = localResults.get(0);
        TensorType glhs = (TensorType) op.operand(0).type(), gout = (TensorType) op.result(0).type();
        long[] inSp = dn.inputSpatialDimensions().toArray(), kSp = dn.kernelSpatialDimensions().toArray(), outSp = dn.outputSpatialDimensions().toArray();
        int ns = inSp.length;
        long[] pad = HaloOps.longs(op, "padding", 2 * ns, 0), lhsDil = HaloOps.longs(op, "lhs_dilation", ns, 1);
        long[] rhsDil = HaloOps.longs(op, "rhs_dilation", ns, 1), strides = HaloOps.longs(op, "window_strides", ns, 1);
        boolean windowed = false;
        for (int s = 0; s < ns; s++) {
            // the rule keeps spatial dimensions whole; one the result is computed split on was windowed (HaloOps: halos,
            // or cut from an input held whole): it arrives as each device's window, padding and input dilation applied
            if (resultSharding.axesOfDim((int) outSp[s]).isEmpty()) {
                if (lhs.dim((int) inSp[s]) != glhs.dim((int) inSp[s])) {
                    throw new Hlo4jException("'stablehlo.convolution': input spatial dimension " + inSp[s] + " is split (" + lhs + " of " + glhs
                            + ") but windows read across it (the sharding rule should have required it whole)", op.location());
                }
                continue;
            }
            long span = (rhs.dim((int) kSp[s]) - 1) * rhsDil[s] + 1;
            if ((lhs.dim((int) inSp[s]) - span) / strides[s] + 1 != out.dim((int) outSp[s]) || lhs.dim((int) inSp[s]) < span) {
                throw new Hlo4jException("'stablehlo.convolution': input spatial dimension " + inSp[s] + " arrives as " + lhs + " of " + glhs
                        + ", which is not the window of output block " + out + " (the halo plan and the op disagree)", op.location());
            }
            pad[2 * s] = 0;
            pad[2 * s + 1] = 0;
            lhsDil[s] = 1;
            windowed = true;
        }
        if (windowed) {
            props.put("padding", Constants.ofLongs(TensorType.of(IntegerType.I64, ns, 2), pad));
            props.put("lhs_dilation", DenseArrayAttr.ofI64(lhsDil));
        }
        long fgc = op.attr("feature_group_count") instanceof IntegerAttr i ? i.value() : 1;
        long bgc = op.attr("batch_group_count") instanceof IntegerAttr i ? i.value() : 1;
        long iF = lhs.dim((int) dn.inputFeatureDimension()), ki = rhs.dim((int) dn.kernelInputFeatureDimension());
        long ib = lhs.dim((int) dn.inputBatchDimension()), ob = out.dim((int) dn.outputBatchDimension());
        long localF = iF / ki, localB = ib / ob;
        if (iF % ki != 0 || ib % ob != 0 || fgc % localF != 0 || bgc % localB != 0) {
            throw new Hlo4jException("'stablehlo.convolution': blocks " + lhs + " x " + rhs + " -> " + out + " of " + glhs + " -> " + gout
                    + " do not hold whole groups (feature_group_count " + fgc + ", batch_group_count " + bgc + ")", op.location());
        }
        if (fgc > 1) props.put("feature_group_count", IntegerAttr.i64(localF));
        if (bgc > 1) props.put("batch_group_count", IntegerAttr.i64(localB));
    }

    /** {@code x + offset[partition]} in x's element type. */
    private static Value addOffset(IrBuilder b, Value x, TensorType t, long[] offsets, CollectiveEmitter emit, Operation op) {
        StablehloBuilder h = new StablehloBuilder(b);
        Value off = h.convert(emit.perDevice(b, offsets, op.location()), t.elementType(), op.location());
        Value wide = h.broadcastInDim(off, t.shape(), new long[0], op.location());
        return h.add(x, wide, op.location());
    }


    private static Hlo4jException split(Operation op, int dim, TensorSharding s) {
        return new Hlo4jException("'" + op.name() + "': operand dimension " + dim + " is split by " + s + " but the op reads "
                + "across it (the sharding rule should have required it whole)", op.location());
    }

    /**
     * Whether a single-result reduce's body is one {@code add}, {@code multiply}, {@code maximum}, {@code minimum},
     * {@code and} or {@code or} and its init is a constant equal to that op's identity. Only then may devices
     * reduce their blocks and combine the partial results: otherwise every device would count init once.
     */
    static boolean initIsIdentity(Operation reduce) {
        if (reduce.numResults() != 1) return false;
        String combiner = combiner(reduce);
        if (combiner == null) return false;
        if (!(reduce.operand(1) instanceof io.hlo4j.mlir.ir.OpResult r) || !r.owner().name().equals("stablehlo.constant")) return false;
        DenseElementsAttr init = (DenseElementsAttr) r.owner().attr("value");
        TensorType t = init.type();
        Double id = switch (combiner) {
            case "stablehlo.add", "stablehlo.or" -> 0.0;
            case "stablehlo.multiply", "stablehlo.and" -> 1.0;
            case "stablehlo.maximum" -> t.elementType() instanceof FloatType ? Double.NEGATIVE_INFINITY : null;
            case "stablehlo.minimum" -> t.elementType() instanceof FloatType ? Double.POSITIVE_INFINITY : null;
            default -> null;
        };
        if (id == null) return false;
        if (t.elementType() instanceof IntegerType it && it.isBool() && combiner.equals("stablehlo.and")) id = 1.0;
        return java.util.Arrays.equals(init.expandedData(), Constants.splat(t, id).expandedData());
    }

    /** The one op a single-result reduce's body applies before returning (e.g. {@code stablehlo.add}), or null. */
    static String combiner(Operation reduce) {
        var body = reduce.region(0).entry().operations();
        return body.size() == 2 ? body.get(0).name() : null;
    }
}
