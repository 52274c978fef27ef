package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.chlo.RaggedDotDimensionNumbers;
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
        var elem = gsType.elementType();
        // g0, this device's first group, and the rows of the groups before it
        Value g0 = h.convert(emit.perDevice(b, emit.offsets(rhsSharding.axesOfDim(g), local), loc), elem, loc);
        Value ids = h.iota(TensorType.of(elem, groups), 0, loc);
        Value before = h.compare("LT", ids, h.broadcastInDim(g0, new long[] {groups}, new long[0], loc), "SIGNED", loc);
        Value zeros = h.constant(Constants.splat(gsType, 0), loc);
        Value lead = h.reduce(h.select(before, operands.get(2), zeros, loc), h.constant(Constants.splat(TensorType.scalar(elem), 0), loc),
                new long[] {0}, "add", loc);
        Value mine = h.dynamicSlice(operands.get(2), List.of(g0), new long[] {local}, loc);
        Value sizes = h.concatenate(List.of(h.reshape(lead, new long[] {1}, loc), mine), 0, loc);
        long[] padShape = rhsLocal.shape();
        padShape[g] = 1;
        Value pad = h.constant(Constants.splat(rhsLocal.withShape(padShape), 0), loc);
        Value rhs = h.concatenate(List.of(pad, operands.get(1)), g, loc);
        List<Value> out = new ArrayList<>(operands);
        out.set(1, rhs);
        out.set(2, sizes);
        return out;
    }
}
