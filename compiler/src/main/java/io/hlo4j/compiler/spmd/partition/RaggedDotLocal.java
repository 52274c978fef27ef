package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code chlo.ragged_dot} with its rhs group (expert) dimension split: a device holds groups
 * {@code [g0, g0 + n)} of the kernels. Its rows are those of the global row ranges of these groups, which start
 * after {@code sum(group_sizes[:g0])} rows. So the local op gets one extra all-zero group in front of its kernels
 * that takes exactly those leading rows, then its own groups' sizes; rows after its last group come out zero by
 * the op's definition. Every device's result is then its groups' rows and zeros elsewhere, a partial sum over the
 * axes that split the groups (the rule makes that factor a reduction), finished by the partitioner's all_reduce.
 */
final class RaggedDotLocal {
    private RaggedDotLocal() {}

    /** (lhs, rhs, group_sizes) for the local op; unchanged when the group dimension is whole here. */
    static List<Value> withLocalGroups(IrBuilder b, Operation op, List<Value> operands, TensorSharding rhsSharding, CollectiveEmitter emit) {
        var dn = (RaggedDotDimensionNumbers) op.attr("ragged_dot_dimension_numbers");
        Location loc = op.location();
        if (dn.rhsGroupDimensions().isEmpty()) return operands;
        int g = (int) (long) dn.rhsGroupDimensions().get(0);
        TensorType rhsGlobal = (TensorType) op.operand(1).type(), rhsLocal = (TensorType) operands.get(1).type();
        if (rhsLocal.dim(g) == rhsGlobal.dim(g)) return operands;
        TensorType gsType = (TensorType) operands.get(2).type();
        if (gsType.rank() != 1 || gsType.dim(0) != rhsGlobal.dim(g)) {
            throw new Hlo4jException("'chlo.ragged_dot': the rhs group dimension " + g + " is split by " + rhsSharding + " but group_sizes "
                    + gsType + " is not the whole 1-D list of groups (the sharding rule should have required the groups whole)", loc);
        }
        long local = rhsLocal.dim(g), groups = rhsGlobal.dim(g);
        StablehloBuilder h = new StablehloBuilder(b);
        Value sizes = leadAndMine(b, operands.get(2), rhsSharding.axesOfDim(g), local, groups, emit, loc);
        long[] padShape = rhsLocal.shape();
        padShape[g] = 1;
        Value pad = h.constant(Constants.splat(rhsLocal.withShape(padShape), 0), loc);
        Value rhs = h.concatenate(List.of(pad, operands.get(1)), g, loc);
        List<Value> out = new ArrayList<>(operands);
        out.set(1, rhs);
        out.set(2, sizes);
        return out;
    }

    /**
     * The sizes of one all-rows group in front (the rows of the groups before this device's first, g0) and then of
     * this device's {@code local} groups: {@code [sum(group_sizes[:g0]), group_sizes[g0 : g0 + local]...]}.
     */
    private static Value leadAndMine(IrBuilder b, Value groupSizes, List<AxisRef> axes, long local, long groups, CollectiveEmitter emit, Location loc) {
        StablehloBuilder h = new StablehloBuilder(b);
        TensorType gsType = (TensorType) groupSizes.type();
        var elem = gsType.elementType();
        Value g0 = h.convert(emit.perDevice(b, emit.offsets(axes, local), loc), elem, loc);
        Value ids = h.iota(TensorType.of(elem, groups), 0, loc);
        Value before = h.compare("LT", ids, h.broadcastInDim(g0, new long[] {groups}, new long[0], loc), "SIGNED", loc);
        Value zeros = h.constant(Constants.splat(gsType, 0), loc);
        Value lead = h.reduce(h.select(before, groupSizes, zeros, loc), h.constant(Constants.splat(TensorType.scalar(elem), 0), loc),
                new long[] {0}, "add", loc);
        Value mine = h.dynamicSlice(groupSizes, List.of(g0), new long[] {local}, loc);
        return h.concatenate(List.of(h.reshape(lead, new long[] {1}, loc), mine), 0, loc);
    }

    /** The ragged-contracting form (one result per group in result dimension 0, as the gradient of the kernels has). */
    static boolean raggedContracting(Operation op) {
        var dn = (RaggedDotDimensionNumbers) op.attr("ragged_dot_dimension_numbers");
        return dn.lhsContractingDimensions().contains(dn.lhsRaggedDimensions().get(0));
    }

    /**
     * The partitioner's rule for a ragged_dot: Shardy's, except that in the ragged-contracting form with a 1-D
     * group_sizes the result's group dimension may be split (Shardy makes it need replication): a device holding groups
     * {@code [g0, g0 + n)} of the result computes exactly those ({@link #withLocalResultGroups}), with nothing to sum.
     */
    static OpShardingRule partitionRule(Operation op, OpShardingRule rule) {
        if (!op.name().equals("chlo.ragged_dot") || !raggedContracting(op) || ((TensorType) op.operand(2).type()).rank() != 1) return rule;
        List<Integer> dim0 = rule.resultDimFactors(0, 0);
        if (dim0.size() != 1) return rule;
        List<Integer> need = new ArrayList<>(rule.needReplicationFactors());
        need.remove(dim0.get(0));
        return new OpShardingRule(rule.operandMappings(), rule.resultMappings(), rule.factorSizes(), rule.reductionFactors(), need,
                rule.permutationFactors(), rule.blockedPropagationFactors(), rule.isCustomRule());
    }

    /** Whether the local result holds only some of the groups (ragged-contracting form, result dimension 0 split). */
    static boolean splitsResultGroups(Operation op, TensorType localResult) {
        return op.name().equals("chlo.ragged_dot") && raggedContracting(op)
                && localResult.dim(0) != ((TensorType) op.result(0).type()).dim(0);
    }

    /**
     * group_sizes for the local ragged-contracting op when the result's groups are split: a leading group takes the rows
     * of the groups before this device's, then its own groups' sizes; rows after its last group belong to no group and
     * are left out by the op's definition. The local op's result then has one extra group in front
     * ({@link #withLeadGroup}), which {@link #dropLeadGroup} slices off.
     */
    static List<Value> withLocalResultGroups(IrBuilder b, Operation op, List<Value> operands, TensorSharding resultSharding,
                                             TensorType localResult, CollectiveEmitter emit) {
        TensorType gsType = (TensorType) operands.get(2).type();
        long groups = ((TensorType) op.result(0).type()).dim(0);
        if (gsType.rank() != 1 || gsType.dim(0) != groups) {
            throw new Hlo4jException("'chlo.ragged_dot': the result's group dimension is split by " + resultSharding + " but group_sizes "
                    + gsType + " is not the whole 1-D list of " + groups + " groups", op.location());
        }
        List<Value> out = new ArrayList<>(operands);
        out.set(2, leadAndMine(b, operands.get(2), resultSharding.axesOfDim(0), localResult.dim(0), groups, emit, op.location()));
        return out;
    }

    static TensorType withLeadGroup(TensorType localResult) {
        long[] s = localResult.shape();
        s[0] += 1;
        return localResult.withShape(s);
    }

    static Value dropLeadGroup(IrBuilder b, Value v, Location loc) {
        long[] shape = ((TensorType) v.type()).shape();
        long[] start = new long[shape.length], strides = new long[shape.length];
        java.util.Arrays.fill(strides, 1);
        start[0] = 1;
        return new StablehloBuilder(b).slice(v, start, shape, strides, loc);
    }
}
