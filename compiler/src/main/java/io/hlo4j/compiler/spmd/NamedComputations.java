package io.hlo4j.compiler.spmd;

import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.mlir.dialect.sdy.SdyOps;
import io.hlo4j.mlir.dialect.sdy.TensorShardingPerValue;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.Walker;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Splices every {@code sdy.named_computation} (Shardy's named call, e.g. a nested {@code jax.jit}) into the block
 * holding it, as Shardy does before partitioning: the body's ops take the operands' place, the results are what the
 * body returns. Its {@code in_shardings} / {@code out_shardings} become {@code sdy.sharding_constraint}s on the
 * operands / results, so the shardings the user asked for are still honoured. Without this the partitioner has no
 * rule for the op and computes it replicated.
 */
final class NamedComputations {
    private NamedComputations() {}

    static Module inline(Module module) {
        boolean[] found = {false};
        Walker.walk(module.op(), op -> { if (op.name().equals(SdyOps.NAMED_COMPUTATION)) found[0] = true; });
        if (!found[0]) return module;
        Map<Value, Value> map = new IdentityHashMap<>();
        List<Operation> body = new ArrayList<>();
        for (Operation o : module.operations()) body.add(copy(o, map));
        return Module.of(module.name(), module.attributes(), body, module.op().location());
    }

    private static Operation copy(Operation op, Map<Value, Value> map) {
        Operation.Builder b = Operation.builder(op.name()).location(op.location()).properties(op.properties())
                .attributes(op.attributes()).resultTypes(op.resultTypes());
        for (Value v : op.operands()) b.operand(Cloner.lookup(map, v, op));
        for (Region r : op.regions()) b.region(copy(r, map));
        return b.build();
    }

    private static Region copy(Region r, Map<Value, Value> map) {
        List<Block> blocks = new ArrayList<>();
        for (Block blk : r.blocks()) {
            Block.Builder nb = Block.builder();
            if (blk.label() != null) nb.label(blk.label());
            for (BlockArgument a : blk.arguments()) map.put(a, nb.addArgument(a.type(), a.location()));
            append(nb, blk.operations(), map);
            blocks.add(nb.build());
        }
        return new Region(blocks);
    }

    private static void append(Block.Builder nb, List<Operation> ops, Map<Value, Value> map) {
        for (Operation op : ops) {
            if (!op.name().equals(SdyOps.NAMED_COMPUTATION)) {
                Operation c = nb.append(copy(op, map));
                for (int i = 0; i < c.numResults(); i++) map.put(op.result(i), c.result(i));
                continue;
            }
            Block body = op.region(0).entry();
            TensorShardingPerValue in = op.attr("in_shardings") instanceof TensorShardingPerValue s ? s : null;
            TensorShardingPerValue out = op.attr("out_shardings") instanceof TensorShardingPerValue s ? s : null;
            for (int i = 0; i < op.numOperands(); i++) {
                Value v = Cloner.lookup(map, op.operand(i), op);
                map.put(body.argument(i), in == null ? v : constrain(nb, v, in, i, op));
            }
            List<Operation> inner = body.operations();
            append(nb, inner.subList(0, inner.size() - 1), map);
            Operation ret = body.terminator();
            for (int i = 0; i < op.numResults(); i++) {
                Value v = Cloner.lookup(map, ret.operand(i), ret);
                map.put(op.result(i), out == null ? v : constrain(nb, v, out, i, op));
            }
        }
    }

    private static Value constrain(Block.Builder nb, Value v, TensorShardingPerValue shardings, int i, Operation at) {
        return nb.append(Operation.builder(SdyOps.SHARDING_CONSTRAINT).location(at.location()).property("sharding", shardings.get(i))
                .operand(v).resultType(v.type()).build()).result(0);
    }
}
