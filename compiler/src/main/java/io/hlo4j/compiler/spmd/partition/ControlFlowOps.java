package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.partition.Partitioner.Local;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The {@link Partitioner}'s control flow: while, case and if, their regions partitioned like any block. */
final class ControlFlowOps {
    private final Partitioner p;

    ControlFlowOps(Partitioner p) { this.p = p; }

    /**
     * while, case and if keep their shape: each value carried through the op (loop state, branch results) is held
     * in the sharding propagation gave the op's result; the regions are partitioned like any block, with their
     * arguments and yielded values in those shardings. Values the regions capture are used as they are held.
     */
    void partition(IrBuilder b, Operation op, Map<Value, Local> env) {
        List<TensorSharding> carried = p.resultShardings(op);
        List<Value> operands = new ArrayList<>();
        boolean loop = op.name().equals("stablehlo.while");
        for (int i = 0; i < op.numOperands(); i++) {
            Value v = op.operand(i);
            TensorSharding need = loop ? carried.get(i) : p.replicated(((TensorType) v.type()).rank());
            operands.add(p.reshard(b, env, v, need, "'" + op.name() + "' operand #" + i, op.location()));
        }
        List<Region> regions = new ArrayList<>();
        for (int r = 0; r < op.regions().size(); r++) {
            boolean cond = loop && r == 0;
            List<TensorSharding> yields = cond ? List.of(p.replicated(0)) : carried;
            regions.add(partitionRegion(b, op.region(r), loop ? carried : List.of(), yields, env, op));
        }
        List<Type> localTypes = new ArrayList<>();
        for (int i = 0; i < op.numResults(); i++) {
            localTypes.add(p.localType((TensorType) op.result(i).type(), carried.get(i), "'" + op.name() + "' result #" + i, op.location()));
        }
        Operation.Builder ob = Operation.builder(op.name()).location(op.location()).operands(operands).resultTypes(localTypes)
                .properties(op.properties()).attributes(op.attributes().without(Partitioner.SHARDING)).regions(regions);
        Operation c = b.append(ob, op.location());
        for (int i = 0; i < op.numResults(); i++) env.put(op.result(i), new Local(c.result(i), carried.get(i)));
    }

    private Region partitionRegion(IrBuilder parent, Region region, List<TensorSharding> argShardings, List<TensorSharding> yields,
                                   Map<Value, Local> outer, Operation owner) {
        Block blk = region.entry();
        IrBuilder child = parent.nested();
        Map<Value, Local> env = new HashMap<>(outer);
        for (int i = 0; i < blk.arguments().size(); i++) {
            var a = blk.argument(i);
            TensorType lt = p.localType((TensorType) a.type(), argShardings.get(i), "'" + owner.name() + "' region argument #" + i, owner.location());
            env.put(a, new Local(child.addArgument(lt, a.location()), argShardings.get(i)));
        }
        Operation ret = blk.terminator();
        for (Operation inner : blk.operations()) {
            if (inner == ret) break;
            p.partitionOp(child, inner, env);
        }
        List<Value> outs = new ArrayList<>();
        for (int i = 0; i < ret.numOperands(); i++) {
            outs.add(p.reshard(child, env, ret.operand(i), yields.get(i), "'" + owner.name() + "' region result #" + i, ret.location()));
        }
        return child.sealRegion(outs, ret.name(), ret.location());
    }
}
